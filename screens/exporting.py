"""Files the health screen writes: exported runs (Markdown / JSON) and copied remediations.

Plain Python (no Textual). Files go under <data dir>/reports, 0600 in 0700 folders, because OSC 52
clipboard copies are dropped inside tmux unless `set-clipboard on` (DESIGN).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from attribtui import checks
from attribtui.cli.main import SYMBOLS
from attribtui.infra import paths

GROUP_TITLES = {
    "schema": "Schema", "cron": "Crons", "db": "DB", "models": "Models",
    "snapshots": "Snapshots", "credits": "Credits", "journeys": "Journeys",
    "settings": "Settings", "exports": "Exports", "coverage": "Coverage",
}


def reports_dir() -> Path:
    return paths.folder("reports")


write_private = paths.write_private


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def summary_text(summary: dict[str, int]) -> str:
    parts = [f"{n} {SYMBOLS[s]}" for s, n in summary.items() if n]
    return " · ".join(parts) if parts else "no checks"


def _cell(v: Any) -> str:
    return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: dict[str, Any], *, environment: str = "", db_label: str = "") -> str:
    results = [checks.CheckResult(**c) for c in report["checks"]]
    lines = [
        f"# attribtui checks: {report['profile']}",
        "",
        f"- Generated: {report['generated_at_iso']}",
    ]
    if environment:
        lines.append(f"- Environment: {environment}")
    if db_label:
        lines.append(f"- Database: {db_label}")
    lines += [f"- Override: `{o}`" for o in report.get("overrides", [])]
    lines += [
        f"- Summary: {summary_text(report['summary'])} (exit {checks.exit_code(results)})",
        "",
        "| Status | Check | Details |",
        "|---|---|---|",
    ]
    lines += [f"| {SYMBOLS[r.status]} | `{r.id}` | {_cell(r.details)} |" for r in results]
    for r in results:
        if r.status in ("ok", "info") and not r.evidence:
            continue
        lines += ["", f"## {SYMBOLS[r.status]} `{r.id}`: {r.title}", "", r.details]
        ev = r.evidence
        if ev and ev.get("columns"):
            lines += ["", "| " + " | ".join(_cell(c) for c in ev["columns"]) + " |",
                      "|" + "---|" * len(ev["columns"])]
            lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in ev["rows"]]
            if ev.get("truncated"):
                lines.append(f"\n(first {checks.MAX_EVIDENCE_ROWS} rows shown)")
        if r.remediation:
            lines += ["", f"**Remediation:** {r.remediation}"]
    return "\n".join(lines) + "\n"


def export_run(report: dict[str, Any], fmt: str, **meta: str) -> tuple[Path, str]:
    """Write the run as 'md' or 'json' under reports/; returns (path, text)."""
    text = to_markdown(report, **meta) if fmt == "md" else json.dumps(report, indent=2) + "\n"
    stamp = report["generated_at_iso"].replace(":", "").replace("-", "")
    path = reports_dir() / f"checks-{_safe(report['profile'])}-{stamp}.{fmt}"
    return write_private(path, text), text


def save_remediation(check_id: str, text: str) -> Path:
    return write_private(reports_dir() / f"remediation-{_safe(check_id)}.txt", text + "\n")
