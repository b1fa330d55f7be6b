"""How the Journeys screen shows a conversion: its list entry and its detail pane.

Every state is carried by words and marks, not colour alone.
"""

from __future__ import annotations

from rich.console import Group, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets.option_list import Option

from attribtui.infra import clock
from attribtui.services.journeys import JourneyReport
from attribtui.services.journeys import cache as journey_cache
from attribtui.vocab import label


def before(conv_time: int, click_time: int) -> str:
    delta = conv_time - click_time
    return f"{clock.ago(delta)} before conversion" if delta >= 0 else \
        f"{clock.ago(-delta)} AFTER conversion"


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def render_report(report: JourneyReport, pending: bool) -> RenderableType:
    """The detail pane of one conversion."""
    parts: list[RenderableType] = []
    head = Text(f"{label('pending' if pending else report.status)}  conv {report.conv_id}",
                style="bold")
    parts.append(head)
    conv = report.conversion
    if conv is not None:
        if conv.deleted:
            parts.append(Text(" !! DELETED (deleted=1): soft-deleted; the rebuild and the "
                              "backfill ignore it ", style="bold reverse red"))
        parts.append(Text(
            f"user {conv.user_id} · campaign {conv.campaign_id} · click {conv.click_id} · "
            f"payout {conv.payout}\nclicked   {clock.iso(conv.click_time)}\n"
            f"converted {clock.describe(conv.conv_time)}"))
        parts.append(_section(f"Touchpoints ({len(report.touches)})"))
        if report.touches:
            parts.append(_touch_table(report))
        else:
            parts.append(Text("none stored"))
    if report.findings:
        parts.append(_section("Findings"))
        for f in report.findings:
            style = "bold red" if f.severity == "fail" else "yellow"
            parts.append(Text(f"{label(f.severity)} {f.code}: ", style=style) + Text(f.message))
    elif conv is not None and not pending:
        parts.append(_section("Findings"))
        parts.append(Text("✔ none: every rule holds"))
    if report.error:
        parts.append(Text(f"‼ {report.error}", style="bold red"))
    if conv is not None:
        parts += _recompute_part(report, pending)
        parts += _credit_part(report, pending)
        parts += _cache_part(report, pending)
    return Group(*parts)


def _touch_table(report: JourneyReport) -> Table:
    conv = report.conversion
    assert conv is not None
    table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("", "left"), ("pos", "right"), ("click_id", "right"), ("click_time UTC", "left"),
        ("before conv.", "left"))
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=name != "before conv.")
    for t in sorted(report.touches, key=lambda t: t.position):
        converting = t.click_id == conv.click_id
        when = before(conv.conv_time, t.click_time).removesuffix(" before conversion")
        table.add_row("▶" if converting else " ", str(t.position), str(t.click_id),
                      clock.iso(t.click_time), when + ("  ◀ converting" if converting else ""),
                      style="bold reverse" if converting else None)
    return table


def _recompute_part(report: JourneyReport, pending: bool) -> list[RenderableType]:
    parts: list[RenderableType] = [_section("Backfill (recomputed from 202_clicks)")]
    rec = report.recomputed
    if rec is None:
        parts.append(Text("… recomputing" if pending else "not recomputed"))
        return parts
    parts.append(Text(rec.verdict, style="bold" if rec.changes or not rec.enabled else ""))
    parts.append(Text(f"multi-touch {'enabled' if rec.enabled else 'DISABLED'} ({rec.scope}); "
                      f"{rec.candidates} candidate click(s) in {clock.iso(rec.window[0])} .. "
                      f"{clock.iso(rec.window[1])}"))
    parts.append(Text("command: ") + Text(rec.command, style="bold"))
    return parts


def _credit_part(report: JourneyReport, pending: bool) -> list[RenderableType]:
    conv = report.conversion
    assert conv is not None
    parts: list[RenderableType] = [_section(f"Credits (hour {clock.iso(clock.hour(conv.conv_time))})")]
    if report.credits is None:
        parts.append(Text("… reading" if pending else "not read"))
        return parts
    if not report.credits:
        parts.append(Text("no model has a snapshot of this hour"))
        return parts
    for mc in report.credits:
        state = "✔ ok" if mc.ok else "✖ MISMATCH"
        snaps = ",".join(map(str, mc.snapshot_ids))
        line = Text(f"{state}  {mc.name} ({mc.model_type}) · snapshot {snaps} · stored sum "
                    f"{mc.stored_sum:f}", style="" if mc.ok else "bold red")
        parts.append(line)
        for problem in mc.problems:
            parts.append(Text(f"   ✖ {problem}", style="red"))
        if mc.note:
            parts.append(Text(f"   {mc.note}"))
        if mc.lines:
            table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False)
            for name in ("   pos", "click_id", "stored", "expected", ""):
                table.add_column(name, justify="right" if name.strip() else "left")
            for ln in mc.lines:
                table.add_row(str(ln.position), str(ln.click_id),
                              "—" if ln.stored is None else f"{ln.stored:f}",
                              "—" if ln.expected is None else f"{ln.expected:f}",
                              "" if ln.matches else "✖ differs")
            parts.append(table)
    return parts


def _cache_part(report: JourneyReport, pending: bool) -> list[RenderableType]:
    parts: list[RenderableType] = [_section("Cache (memcached journey key)")]
    state = report.cache
    if state is None:
        parts.append(Text("… probing" if pending else "not probed"))
        return parts
    present = bool(state.present)
    parts.append(Text(("▲ " if present else "") + state.message,
                      style="bold yellow" if present else ""))
    for k in state.keys:
        extra = ""
        if k.present:
            ttl = "never expires" if k.ttl == -1 else f"ttl {k.ttl} s"
            extra = f" · {k.size} bytes · {ttl} · idle {k.idle} s"
        parts.append(Text(f"  {k.seed:3} {k.key} on {k.server}: "
                          f"{'PRESENT' if k.present else 'absent'}{extra}"))
    if not state.keys:
        for seed in state.seeds:
            parts.append(Text(f"  {seed.name:3} {seed.label}"))
    parts.append(Text(journey_cache.NEVER_SET, style="dim"))
    return parts


def option_for(report: JourneyReport, pending: bool) -> Option:
    status = "pending" if pending else report.status
    deleted = " DEL" if report.conversion is not None and report.conversion.deleted else ""
    return Option(Text(f"{label(status):<8} {report.conv_id}{deleted}"), id=str(report.conv_id))

