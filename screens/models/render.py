"""What the Models screen shows, as text and rows: the model table, the summary, a model's
details, the audit trail, the snapshot chart and the last change."""

from __future__ import annotations

from rich.text import Text

from attribtui.infra import clock
from attribtui.services import models as core

BARS = "▁▂▃▄▅▆▇█"
GAP = "·"


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def bars(values: list[float | None]) -> str:
    """One character per hour; a gap (no snapshot) is a dot, so it never looks like a zero."""
    top = max((v for v in values if v is not None), default=0) or 1
    return "".join(GAP if v is None else BARS[min(7, int(v / top * 7.999))] if v else BARS[0]
                   for v in values)


def chart_lines(series: core.Series) -> list[str]:
    """Per day of 24 hours: a conversions line and a revenue line, with the day's totals."""
    lines = []
    conv: list[float | None] = [p.conversions for p in series.points]
    rev = [p.revenue for p in series.points]
    conv_bars, rev_bars = bars(conv), bars(rev)
    for i in range(0, len(series.points), 24):
        day = clock.iso(series.points[i].hour)[5:13].replace("T", " ") + "h"
        c = sum(v or 0 for v in conv[i:i + 24])
        r = sum(v or 0 for v in rev[i:i + 24])
        lines.append(f"{day}  conv {conv_bars[i:i + 24]:24} {c:>10}")
        lines.append(f"{'':11}rev  {rev_bars[i:i + 24]:24} {r:>10.2f}")
    return lines


# (key, label) in order; narrow terminals keep the ones an on-call engineer needs to act (which
# model, whose, its state, its slug, when it changed) and leave type and weighting to the Details
# tab. The table fits the kept columns to its width (screens/components/table.py).
WIDE = (("id", "ID"), ("user", "User"), ("name", "Name"), ("active", "Active"),
        ("default", "Default"), ("api", "API"), ("type", "Type"), ("weighting", "Weighting"),
        ("slug", "Slug"), ("updated", "Updated"))
MEDIUM = (("id", "ID"), ("user", "User"), ("name", "Name"), ("active", "Active"),
          ("default", "Default"), ("api", "API"), ("slug", "Slug"), ("updated", "Updated"))
NARROW = (("id", "ID"), ("user", "User"), ("name", "Name"), ("active", "Act"),
          ("default", "Def"), ("slug", "Slug"), ("updated", "Updated"))
WIDE_FROM, MEDIUM_FROM = 150, 100  # columns of terminal


def columns(width: int) -> tuple[tuple[str, str], ...]:
    return WIDE if width >= WIDE_FROM else MEDIUM if width >= MEDIUM_FROM else NARROW


def api_state(x: core.Model) -> str:
    if x.read_only:
        return "read-only"
    if x.problem:
        return "‼ breaks v2"
    return "listed" if x.api_visible else "hidden"


def model_cells(x: core.Model) -> dict[str, str]:
    """Every column's text; narrow layouts mark read-only (ro) and broken (‼) rows in User/ID."""
    return {"id": ("‼" if x.problem else "") + str(x.model_id),
            "user": f"{x.user_id}{' ro' if x.read_only else ''}", "name": x.name,
            "active": yes(x.is_active), "default": "★ yes" if x.is_default else "no",
            "api": api_state(x), "type": x.type, "weighting": x.weighting_text, "slug": x.slug,
            "updated": clock.iso(x.updated_at)[5:16].replace("T", " ")}


def model_row(x: core.Model, width: int = WIDE_FROM) -> tuple[str, ...]:
    cells = model_cells(x)
    return tuple(cells[key] for key, _ in columns(width))


def listing_summary(listing: core.ModelList) -> Text:
    mine = [x for x in listing.models if x.user_id == listing.user_id or listing.user_id is None]
    hidden = sum(1 for x in mine if not x.api_visible)
    defaults = listing.defaults_of(listing.user_id)
    if len(defaults) > 1:  # nothing in Prosper202 enforces one default (docs/prosper202.md)
        which = "▲ " + str(len(defaults)) + " DEFAULTS: " + ", ".join(
            f"{x.model_id} {x.name}" for x in defaults) + " (see models.defaults)"
    else:
        which = f"default: {defaults[0].model_id} {defaults[0].name}" if defaults else \
            "▲ NO default model"
    others = sorted({x.user_id for x in listing.models} - {listing.user_id})
    ro = sorted({x.user_id for x in listing.models if x.read_only})
    tail = f" · also users {', '.join(map(str, others))}" if others else ""
    tail += f" · ro = no API key for {', '.join(map(str, ro))}" if ro else ""
    return Text(f"User {listing.user_id if listing.user_id is not None else '?'}: "
                f"{len(mine)} model(s), {hidden} hidden by the API · {which}{tail}")


def detail_text(x: core.Model | None) -> Text | str:
    if x is None:
        return "No model selected. n creates one."
    lines = [
        f"{x.model_id}  {x.name}   user {x.user_id}   type {x.type}   slug {x.slug}",
        f"active {yes(x.is_active)} · default {yes(x.is_default)} · weighting "
        f"{x.weighting_text} · updated {clock.describe(x.updated_at)}",
    ]
    if x.read_only:
        lines.append(f"▲ {x.read_only}; a change shows its command to run (copied, key "
                     "redacted)")
    elif not x.api_visible:
        lines.append(f"▲ {x.note}")
    if x.problem:
        lines.append(f"‼ {x.problem}; {core.LINT_HINT}")
    return Text("\n".join(lines))


def audit_row(row: core.AuditRow) -> tuple[str, ...]:
    return (clock.iso(row.created_at)[5:16].replace("T", " "), row.action_text,
            "" if row.model_id is None else str(row.model_id), row.meta_text)


def series_head(series: core.Series, hours: int) -> Text:
    head = (f"Last {hours} h (w: 24 h/7 d): {series.total_conversions} conversions, "
            f"revenue {series.total_revenue:.2f}, {series.gaps} hour(s) with no snapshot ({GAP})")
    return Text("\n".join([head, *chart_lines(series)]))


def series_rows(series: core.Series) -> list[tuple[str, ...]]:
    """Newest hour first."""
    return [(clock.iso(p.hour)[:13].replace("T", " ") + "h",
             "–" if p.conversions is None else str(p.conversions),
             "no snapshot" if p.revenue is None else f"{p.revenue:.2f}")
            for p in reversed(series.points)]


def change_lines(action: core.ModelAction, out: core.ChangeResult, message: str) -> list[str]:
    """The Last change tab: what was sent, and the rebuild to run (message: out's, redacted)."""
    lines = [("✔ " if out.ok else "‼ ") + message]
    for r in out.responses:
        lines.append(f"  {r['request']}")
    if out.ok and out.rebuild_commands:
        why = action.rebuild.why if action.rebuild else ""
        lines.append(f"Rebuild the affected window ({why}); copy and run:")
        lines += [f"  {c}" for c in out.rebuild_commands]
        lines.append("  (hour-aligned --start=H0 --end=H1-1; the current hour is left to the "
                     "scheduled :15 run)")
    elif out.ok and action.no_rebuild:
        lines.append(action.no_rebuild[0].upper() + action.no_rebuild[1:] + ".")
    lines.append("Recorded in the action log.")
    return lines
