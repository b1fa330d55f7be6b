"""A check run as Markdown, and the files the health screen exports (reports/ in the data dir).

Files because OSC 52 clipboard copies are dropped inside tmux unless `set-clipboard on`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from attribtui.checks.results import (
    MAX_EVIDENCE_ROWS,
    CheckResult,
    empty_text,
    exit_code,
    mostly_empty,
)
from attribtui.infra import paths
from attribtui.vocab import JsonDict, Status, label

GROUP_TITLES = {
    "schema": "Schema", "cron": "Crons", "db": "DB", "models": "Models",
    "snapshots": "Snapshots", "credits": "Credits", "journeys": "Journeys",
    "settings": "Settings", "exports": "Exports", "coverage": "Coverage",
}


def summary_text(summary: dict[str, int]) -> str:
    parts = [f"{n} {label(s)}" for s, n in summary.items() if n]
    return " · ".join(parts) if parts else "no checks"


def _cell(v: Any) -> str:
    return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: JsonDict, *, environment: str = "", db_label: str = "") -> str:
    results = [CheckResult.from_json(c) for c in report["checks"]]
    lines = [f"# attribtui checks: {report['profile']}", "",
             f"- Generated: {report['generated_at_iso']}"]
    if environment:
        lines.append(f"- Environment: {environment}")
    if db_label:
        lines.append(f"- Database: {db_label}")
    lines += [f"- Override: `{o}`" for o in report.get("overrides", [])]
    empty = empty_text(report)
    lines += [
        f"- Summary: {summary_text(report['summary'])} (exit {int(exit_code(results))})",
        *([f"- {label(Status.INFO)}: {empty}"
           + (": an empty window is not proof of health" if mostly_empty(report) else "")]
          if empty else []),
        "",
        "| Status | Check | Details |",
        "|---|---|---|",
    ]
    lines += [f"| {label(r.status)}{' (nothing to examine)' if r.nothing_to_examine else ''} "
              f"| `{r.id}` | {_cell(r.details)} |" for r in results]
    for r in results:
        if r.status in (Status.OK, Status.INFO) and not r.evidence:
            continue
        lines += ["", f"## {label(r.status)} `{r.id}`: {r.title}", "", r.details]
        ev = r.evidence
        if ev and ev.get("columns"):
            lines += ["", "| " + " | ".join(_cell(c) for c in ev["columns"]) + " |",
                      "|" + "---|" * len(ev["columns"])]
            lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in ev["rows"]]
            if ev.get("truncated"):
                lines.append(f"\n(first {MAX_EVIDENCE_ROWS} rows shown)")
        if r.remediation:
            lines += ["", f"**Remediation:** {r.remediation}"]
    return "\n".join(lines) + "\n"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def export_run(report: JsonDict, fmt: str, *, environment: str = "",
               db_label: str = "") -> tuple[Path, str]:
    """Write the run as 'md' or 'json' under reports/; returns (path, text)."""
    text = (to_markdown(report, environment=environment, db_label=db_label) if fmt == "md"
            else json.dumps(report, indent=2) + "\n")
    name = f"checks-{_safe(report['profile'])}-{paths.stamp(report['generated_at_iso'])}.{fmt}"
    return paths.write_private(paths.folder("reports") / name, text), text


def save_remediation(check_id: str, text: str) -> Path:
    return paths.write_private(paths.folder("reports") / f"remediation-{_safe(check_id)}.txt",
                               text + "\n")
