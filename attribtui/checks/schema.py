"""Schema checks: the live tables against the installer's schema in `prosper.tables`.

Judged the way Prosper202's code uses them: columns by a compatible type and nullability, indexes
by their leading columns rather than their names. A documented older layout (facts section 1) is
`warn` and names the upgrade that brings the current one; a difference in something the console
relies on is `fail`; any other difference is `info`. Remediations point at Prosper202's own
upgrade or installer schema, never at hand-written destructive SQL.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Column
from sqlalchemy.dialects import mysql, sqlite

from attribtui.checks import CheckContext, Evidence, Outcome, check, worst
from attribtui.infra.db import in_clause
from attribtui.prosper import tables as t

INSTALLER = "202-config/functions-install.php"


@dataclass
class LiveIndex:
    name: str
    columns: tuple[str, ...]
    unique: bool


@dataclass
class LiveTable:
    columns: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (type, nullable)
    indexes: list[LiveIndex] = field(default_factory=list)


def introspect(ctx: CheckContext) -> dict[str, LiveTable]:
    """The live layout of every table in the MetaData, read once per run."""
    return ctx.memo("schema.introspect", lambda: _introspect(ctx))


def _introspect(ctx: CheckContext) -> dict[str, LiveTable]:
    names = list(t.metadata.tables)
    live: dict[str, LiveTable] = {}
    db = ctx.db
    if db.is_sqlite:
        present = {r[0] for r in db.read(
            "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1000")}
        for name in names:
            if name not in present:
                continue
            lt = live[name] = LiveTable()
            info = db.read('SELECT name, type, "notnull", pk FROM pragma_table_info(:t)', {"t": name})
            for r in info:
                lt.columns[r[0]] = (_norm_sqlite(r[1]), not r[2] and not r[3])
            pk = tuple(r[0] for r in sorted((r for r in info if r[3]), key=lambda r: r[3]))
            if pk:
                lt.indexes.append(LiveIndex("PRIMARY", pk, True))
            for r in db.read('SELECT name, "unique" FROM pragma_index_list(:t)', {"t": name}):
                cols = tuple(c[0] for c in db.read(
                    "SELECT name FROM pragma_index_info(:i) ORDER BY seqno", {"i": r[0]}))
                lt.indexes.append(LiveIndex(r[0], cols, bool(r[1])))
        return live
    in_sql, params = in_clause("t", names)
    for r in db.read(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
        f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({in_sql}) "
        "ORDER BY TABLE_NAME, ORDINAL_POSITION LIMIT 5000",
        params,
    ):
        live.setdefault(r[0], LiveTable()).columns[r[1]] = (_norm_mysql(r[2]), r[3] == "YES")
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    for r in db.read(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
        f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({in_sql}) "
        "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX LIMIT 5000",
        params,
    ):
        grouped[(r[0], r[1])].append(r)
    for (table, index), rows in grouped.items():
        if table in live:
            live[table].indexes.append(
                LiveIndex(index, tuple(r[3] for r in rows), not int(rows[0][2])))
    return live


_INT_WIDTH = re.compile(r"\b(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)")


def _norm_mysql(type_text: str) -> str:
    """'int(11) unsigned' and MySQL 8's 'int unsigned' compare equal; 'DECIMAL(11, 5)' too."""
    s = _INT_WIDTH.sub(r"\1", type_text.lower()).replace("integer", "int")
    return re.sub(r"\s*,\s*", ",", s).strip()


def _norm_sqlite(type_text: str) -> str:
    return re.sub(r"\s*,\s*", ",", type_text.upper()).strip()


def expected_type(column: Column, is_sqlite: bool) -> str:
    if is_sqlite:
        return _norm_sqlite(column.type.compile(dialect=sqlite.dialect()))
    return _norm_mysql(column.type.compile(dialect=mysql.dialect()))


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


def _severity(info: dict, missing_or_incompatible: bool) -> str:
    if info.get("variant"):
        return "warn"
    if info.get("required") and missing_or_incompatible:
        return "fail"
    return "info"


def _variant_note(info: dict, expected: str) -> str:
    if info.get("upgrade"):
        return f"older layout ({info['variant']}); the Prosper202 {info['upgrade']} upgrade brings {expected}"
    return f"older layout ({info['variant']}); the current installer schema has {expected}"


def _table_fix(statuses: set[str]) -> str:
    if "fail" in statuses:
        return (
            "Restore the missing or incompatible structures from Prosper202's installer schema "
            f"({INSTALLER}) for your release, or run Prosper202's upgrade; compare with "
            "`SHOW CREATE TABLE <table>` before changing anything and back the table up first."
        )
    if "warn" in statuses:
        return (
            "Run Prosper202's upgrade to the current release (it brings the layouts named above); "
            "take a backup of the affected tables first. Do not hand-edit production tables."
        )
    return ""


@check("schema.tables", "Required tables exist")
def tables_exist(ctx: CheckContext) -> Outcome:
    live = introspect(ctx)
    missing = [name for name in t.metadata.tables if name not in live]
    rows = [[name, "missing", "fail"] for name in missing]
    if not missing:
        return Outcome("ok", f"All {len(t.metadata.tables)} tables attribtui reads are present.")
    return Outcome(
        "fail",
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
                    "the console reads this column" if sev == "fail" else "not used by attribtui")
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
            elif sev == "fail":
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
        expected: list[tuple[str, tuple[str, ...], bool, dict]] = []
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
            for ix in lt.indexes:
                if ix.unique and ix.columns[: len(fcols)] == fcols:
                    rows.append([f"{name}.{ix.name}", "no such UNIQUE", f"UNIQUE ({', '.join(ix.columns)})",
                                 "fail", why])
    return _outcome(rows, "index", "indexes", len(live))


def _serves(live: list[LiveIndex], cols: tuple[str, ...], unique: bool) -> bool:
    return any(ix.columns[: len(cols)] == cols and (ix.unique or not unique) for ix in live)


def _outcome(rows: list[list[str]], noun: str, plural: str, present: int) -> Outcome:
    if not rows:
        total = len(t.metadata.tables)
        scope = "" if present == total else f" (in the {present} of {total} tables present)"
        return Outcome("ok", f"All {plural} match Prosper202's installer schema{scope}.")
    statuses = {r[3] for r in rows}
    status = worst(statuses)
    counts = ", ".join(f"{sum(r[3] == s for r in rows)} {s}" for s in ("fail", "warn", "info")
                       if s in statuses)
    rows.sort(key=lambda r: ("fail", "warn", "info").index(r[3]))
    head = {
        "fail": f"Some {plural} the console relies on are missing or incompatible",
        "warn": f"Older {noun} layouts from before a Prosper202 upgrade",
        "info": f"Minor {noun} differences that attribtui does not rely on",
    }[status]
    return Outcome(
        status,
        f"{head} ({counts}).",
        Evidence.of([noun if noun == "column" else "index", "expected", "found", "status", "note"],
                    rows),
        _table_fix(statuses),
    )

