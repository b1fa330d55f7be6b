"""Schema checks: the live tables against the installer's schema in `prosper.tables`.

Judged the way Prosper202's code uses them: columns by a compatible type and nullability, indexes by
their leading columns rather than their names. A documented older layout (docs/prosper202.md,
"Historical layouts") is `warn` and names the upgrade that brings the current one; a difference in
something the console relies on is `fail`; any other difference is `info`. Remediations point at
Prosper202's own upgrade or installer schema, never at hand-written destructive SQL.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.dialects import mysql, sqlite

from attribtui.checks.framework import CheckContext, Evidence, Outcome, check
from attribtui.checks.introspect import LiveIndex, introspect, norm_mysql, norm_sqlite
from attribtui.prosper import tables as t
from attribtui.vocab import Status, worst

INSTALLER = "202-config/functions-install.php"


def expected_type(column: t.Col, is_sqlite: bool) -> str:
    if is_sqlite:
        return norm_sqlite(column.type.compile(dialect=sqlite.dialect()))
    return norm_mysql(column.type.compile(dialect=mysql.dialect()))


_FAMILIES = {
    "int": ("tinyint", "smallint", "mediumint", "int", "bigint", "integer"),
    "decimal": ("decimal", "numeric"),
    "string": ("varchar", "char"),
    "text": ("text", "tinytext", "mediumtext", "longtext"),
}


def _family(type_text: str) -> str:
    base = type_text.lower().split("(")[0].split()[0]
    for fam, members in _FAMILIES.items():
        if base in members:
            return fam
    return base


def _severity(info: Mapping[str, object], missing_or_incompatible: bool) -> Status:
    if info.get("variant"):
        return Status.WARN
    if info.get("required") and missing_or_incompatible:
        return Status.FAIL
    return Status.INFO


def _variant_note(info: Mapping[str, object], expected: str) -> str:
    if info.get("upgrade"):
        return f"older layout ({info['variant']}); the Prosper202 {info['upgrade']} upgrade brings {expected}"
    return f"older layout ({info['variant']}); the current installer schema has {expected}"


def _table_fix(statuses: set[str]) -> str:
    if Status.FAIL in statuses:
        return (
            "Restore the missing or incompatible structures from Prosper202's installer schema "
            f"({INSTALLER}) for your release, or run Prosper202's upgrade; compare with "
            "`SHOW CREATE TABLE <table>` before changing anything and back the table up first."
        )
    if Status.WARN in statuses:
        return (
            "Run Prosper202's upgrade to the current release (it brings the layouts named above); "
            "take a backup of the affected tables first. Do not hand-edit production tables."
        )
    return ""


@check("schema.tables", "Required tables exist")
def tables_exist(ctx: CheckContext) -> Outcome:
    live = introspect(ctx)
    missing = [name for name in t.metadata.tables if name not in live]
    rows = [[name, "missing", Status.FAIL] for name in missing]
    if not missing:
        return Outcome(Status.OK, f"All {len(t.metadata.tables)} tables attribtui reads are present.")
    return Outcome(Status.FAIL,
        f"{len(missing)} table(s) missing: {', '.join(missing)}. Checks and screens that read "
        "them cannot work.",
        Evidence.of(["table", "found", "status"], rows),
        f"Create them as Prosper202's installer does ({INSTALLER}) or run Prosper202's upgrade; "
        "a missing attribution table usually means the 1.9.56 upgrade never ran.",
    )


@check("schema.columns", "Columns have compatible types and nullability")
def columns_match(ctx: CheckContext) -> Outcome:
    live = introspect(ctx)
    rows: list[list[str]] = []
    for name, table in t.metadata.tables.items():
        if name not in live:
            continue
        lt = live[name]
        for c in table.columns:
            want = expected_type(c, ctx.db.is_sqlite)
            want_text = f"{want} {'NULL' if c.nullable else 'NOT NULL'}"
            got = lt.columns.get(c.name)
            if got is None:
                sev = _severity(c.info, True)
                note = _variant_note(c.info, f"`{c.name}`") if c.info.get("variant") else (
                    "the console reads this column" if sev == Status.FAIL else "not used by attribtui")
                rows.append([f"{name}.{c.name}", want_text, "missing", sev, note])
                continue
            got_type, got_null = got
            if got_type == want and got_null == c.nullable:
                continue
            got_text = f"{got_type} {'NULL' if got_null else 'NOT NULL'}"
            compatible = _family(got_type) == _family(want) and got_null == c.nullable
            sev = _severity(c.info, not compatible)
            if c.info.get("variant"):
                note = _variant_note(c.info, want)
            elif compatible:
                note = "compatible with the installer's type"
            elif sev == Status.FAIL:
                note = "incompatible with what Prosper202's code and attribtui expect"
            else:
                note = "differs from the installer; not used by attribtui"
            rows.append([f"{name}.{c.name}", want_text, got_text, sev, note])
    return _outcome(rows, "column", "columns", len(live))


@check("schema.indexes", "Indexes serve the lookups attribtui and Prosper202 rely on")
def indexes_match(ctx: CheckContext) -> Outcome:
    live = introspect(ctx)
    rows: list[list[str]] = []
    for name, table in t.metadata.tables.items():
        if name not in live:
            continue
        lt = live[name]
        pk = tuple(c.name for c in table.primary_key.columns)
        expected: list[tuple[str, tuple[str, ...], bool, Mapping[str, object]]] = []
        if pk:
            expected.append(("PRIMARY", pk, True, {"required": True, "purpose": "primary key"}))
        for ix in sorted(table.indexes, key=lambda i: i.name or ""):
            expected.append((ix.name or "", tuple(c.name for c in ix.columns), ix.unique, ix.info))
        for ix_name, cols, unique, info in expected:
            if _serves(lt.indexes, cols, unique):
                continue
            sev = _severity(info, True)
            want = f"{'UNIQUE ' if unique else ''}({', '.join(cols)})"
            partial = _serves(lt.indexes, cols, False) if unique else False
            found = "only a non-unique index" if partial else "no index leading with these columns"
            if info.get("variant"):
                note = _variant_note(info, f"`{ix_name}` {want}")
            elif info.get("purpose"):
                note = f"needed for {info['purpose']}"
            else:
                note = "differs from the installer; not used by attribtui"
            rows.append([f"{name}.{ix_name}", want, found, sev, note])
        for fname, fcols, why in t.FORBIDDEN_UNIQUE:
            if fname != name:
                continue
            for live_ix in lt.indexes:
                if live_ix.unique and live_ix.columns[: len(fcols)] == fcols:
                    rows.append([f"{name}.{live_ix.name}", "no such UNIQUE",
                                 f"UNIQUE ({', '.join(live_ix.columns)})",
                                 Status.FAIL, why])
    return _outcome(rows, "index", "indexes", len(live))


def _serves(live: list[LiveIndex], cols: tuple[str, ...], unique: bool) -> bool:
    return any(ix.columns[: len(cols)] == cols and (ix.unique or not unique) for ix in live)


def _outcome(rows: list[list[str]], noun: str, plural: str, present: int) -> Outcome:
    if not rows:
        total = len(t.metadata.tables)
        scope = "" if present == total else f" (in the {present} of {total} tables present)"
        return Outcome(Status.OK, f"All {plural} match Prosper202's installer schema{scope}.")
    statuses = {r[3] for r in rows}
    status = worst(statuses)
    order = (Status.FAIL, Status.WARN, Status.INFO)
    counts = ", ".join(f"{sum(r[3] == s for r in rows)} {s}" for s in order
                       if s in statuses)
    rows.sort(key=lambda r: order.index(r[3]))
    head = {
        Status.FAIL: f"Some {plural} the console relies on are missing or incompatible",
        Status.WARN: f"Older {noun} layouts from before a Prosper202 upgrade",
        Status.INFO: f"Minor {noun} differences that attribtui does not rely on",
    }[status]
    return Outcome(
        status,
        f"{head} ({counts}).",
        Evidence.of([noun if noun == "column" else "index", "expected", "found", "status", "note"],
                    rows),
        _table_fix(statuses),
    )

