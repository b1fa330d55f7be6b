"""`attribtui check --format prometheus`: a run in the Prometheus text exposition format.

For node_exporter's textfile collector: one gauge per check and status (1 for the current status,
0 for the others, so alerts can match `== 1` and the series never vanish), the duration of each
check, the run's timestamp and exit code, counts per status, and which checks had nothing to
examine (an empty window reads `info`, and a board of them says little).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from attribtui.vocab import ExitCode, JsonDict, Status


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**kv: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in kv.items()) + "}"


Sample = tuple[dict[str, str], float]


def _family(name: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        lines.append(f"{name}{_labels(**labels) if labels else ''} {shown}")
    return lines


def render(report: JsonDict) -> str:
    """One run (`attribtui check --format prometheus`)."""
    return render_many([report])


def render_many(reports: Sequence[JsonDict], *, exit_codes: Mapping[str, int] | None = None,
                run_seconds: Mapping[str, float] | None = None) -> str:
    """Several profiles' runs in one exposition (a fleet): each family once, its series
    labelled by profile. `exit_codes` adds the profiles that have no run (could not tell);
    `run_seconds` adds each profile's run time."""
    codes = {r["profile"]: int(ExitCode.of(c["status"] for c in r["checks"])) for r in reports}
    codes.update(exit_codes or {})

    def each(fn: Callable[[JsonDict, dict[str, str]], Iterable[Sample]]) -> Iterator[Sample]:
        for r in reports:
            yield from fn(r, {"profile": r["profile"]})

    lines: list[str] = []
    lines += _family(
        "attribtui_check_status",
        "1 for the check's current status, 0 for the other statuses.",
        each(lambda r, base: (({**base, "check": c["id"], "group": c["group"], "status": s},
                               1 if c["status"] == s else 0) for c in r["checks"] for s in Status)))
    lines += _family(
        "attribtui_check_duration_seconds", "How long each check took.",
        each(lambda r, base: (({**base, "check": c["id"], "group": c["group"]},
                               round(c["duration_ms"] / 1000, 4)) for c in r["checks"])))
    lines += _family(
        "attribtui_checks", "Checks per status in the run.",
        each(lambda r, base: (({**base, "status": s}, n) for s, n in r["summary"].items())))
    lines += _family(
        "attribtui_check_nothing_to_examine",
        "1 when the check had nothing to examine (its status is info): an empty window, not "
        "proof of health.",
        each(lambda r, base: (({**base, "check": c["id"], "group": c["group"]},
                               1 if c.get("nothing_to_examine") else 0) for c in r["checks"])))
    lines += _family(
        "attribtui_checks_nothing_to_examine", "Checks of the run that had nothing to examine.",
        each(lambda r, base: [(base, sum(1 for c in r["checks"] if c.get("nothing_to_examine")))]))
    lines += _family("attribtui_check_exit_code",
                     "The run's exit code: 0 ok, 1 warn/skipped, 2 fail, 3 could not tell.",
                     (({"profile": p}, code) for p, code in codes.items()))
    lines += _family("attribtui_check_run_timestamp_seconds",
                     "When the run was made (epoch seconds).",
                     each(lambda r, base: [(base, r["generated_at"])]))
    if run_seconds is not None:
        lines += _family("attribtui_check_run_seconds", "How long the profile's whole run took.",
                         (({"profile": p}, round(float(t), 3)) for p, t in run_seconds.items()))
    return "\n".join(lines) + "\n"
