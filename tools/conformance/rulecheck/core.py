"""What every rule comparison shares: the case model, the PHP driver in batches, the comparison
loop, the report and the golden files.

A rule is a pair of functions over one JSON input: upstream's answer comes from
``php/rules.php`` (upstream's own classes), ours from attribtui. Both answers have the driver's
shape, ``{"output": ...}`` or ``{"error": {"class", "message"}}``, so one golden file serves
the harness and ``tests/unit/test_golden_rules.py`` alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

HERE = Path(__file__).resolve().parent.parent  # tools/conformance
REPO = HERE.parent.parent
DRIVER = HERE / "php" / "rules.php"
GOLDEN = REPO / "tests" / "golden"

Json = Any  # a decoded JSON value (the harness is a developer tool, not typed seams)
Answer = dict[str, Json]


def output(value: Json) -> Answer:
    return {"output": value}


def error(cls: str, message: str) -> Answer:
    return {"error": {"class": cls, "message": message}}


@dataclass
class Context:
    """What ``ours`` and ``prepare`` may use: a read function on the scratch database, if any."""

    read: Callable[..., Sequence[Any]] | None = None
    conn: Any = None  # a SQLAlchemy Connection on the scratch database
    extra: dict[str, Json] = field(default_factory=dict)


@dataclass
class Rule:
    """One comparison. ``compare`` returns None when the answers agree, else a difference
    ``kind`` (stable, short) and a detail; kinds listed in ``deliberate`` are differences we keep
    on purpose, each with its reason."""

    name: str
    php_rule: str
    upstream_files: tuple[str, ...]
    edges: Callable[[], list[Json]]
    random: Callable[[Random, int], Json]
    ours: Callable[[Context, Json], Answer]
    compare: Callable[[Json, Answer, Answer, Context], tuple[str, str] | None]
    deliberate: Mapping[str, str] = field(default_factory=dict)
    needs_db: bool = False
    layout: str = "current"  # the scratch database's settings layout ("current" or "1.9.56")
    # Writes what the case needs into the scratch database before upstream and ours run
    # (the golden test calls it too). Receives every case of the run with its index.
    prepare: Callable[[Context, Sequence[tuple[int, Json]]], None] | None = None
    golden_random: int = 2000
    # Turns a case input into what the PHP driver reads (default: the input itself).
    to_php: Callable[[Json], Json] | None = None


def default_compare(_input: Json, upstream: Answer, ours: Answer,
                    _ctx: Context | None = None) -> tuple[str, str] | None:
    up = {k: upstream.get(k) for k in ("output", "error")}
    mine = {k: ours.get(k) for k in ("output", "error")}
    if up == mine:
        return None
    if (up["error"] is None) != (mine["error"] is None):
        return ("outcome", f"upstream {_short(up)} / ours {_short(mine)}")
    return ("value", f"upstream {_short(up)} / ours {_short(mine)}")


def _short(value: Json, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "…"


def run_php(rule: Rule, inputs: Sequence[tuple[int, Json]], db: str | None,
            upstream_root: Path) -> list[Answer]:
    """Upstream's answers, one PHP process for the whole batch."""
    lines = []
    for index, case in inputs:
        payload = rule.to_php(case) if rule.to_php else case
        lines.append(json.dumps({"id": index, "rule": rule.php_rule, "input": payload}))
    cmd = ["php", "-d", "memory_limit=1G", str(DRIVER)]
    if db:
        cmd.append(f"--db={db}")
    env = {**os.environ, "P202_UPSTREAM_ROOT": str(upstream_root)}
    proc = subprocess.run(cmd, input="\n".join(lines) + "\n", capture_output=True, text=True,
                          env=env, check=False)
    answers = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or len(answers) != len(inputs):
        raise RuntimeError(f"PHP driver failed for {rule.name} (exit {proc.returncode}, "
                           f"{len(answers)}/{len(inputs)} answers): {proc.stderr[-2000:]}")
    by_id = {a["id"]: a for a in answers}
    return [{k: v for k, v in by_id[i].items() if k != "id"} for i, _ in inputs]


def ours_answer(rule: Rule, ctx: Context, case: Json) -> Answer:
    """Ours, with an unexpected Python exception reported as an answer (a difference), not a
    crash of the whole run."""
    try:
        return rule.ours(ctx, case)
    except Exception as exc:  # noqa: BLE001 - any crash is a finding
        return error(f"python:{type(exc).__name__}", str(exc))


@dataclass
class Result:
    rule: str
    cases: int = 0
    edges: int = 0
    differences: Counter[str] = field(default_factory=Counter)
    deliberate: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[tuple[Json, str]]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def unexplained(self) -> int:
        return sum(self.differences.values())


def compare_all(rule: Rule, ctx: Context, cases: Sequence[tuple[int, Json]],
                answers: Sequence[Answer], result: Result, keep: int = 3) -> None:
    for (_, case), upstream in zip(cases, answers, strict=True):
        result.cases += 1
        diff = rule.compare(case, upstream, ours_answer(rule, ctx, case), ctx)
        if diff is None:
            continue
        kind, detail = diff
        bucket = result.deliberate if kind in rule.deliberate else result.differences
        bucket[kind] += 1
        examples = result.examples.setdefault(kind, [])
        if len(examples) < keep:
            examples.append((case, detail))


def report(results: Iterable[Result], rules: Mapping[str, Rule], verbose: bool) -> str:
    lines = [f"{'rule':<22}{'cases':>8}{'edges':>7}{'differences':>13}{'deliberate':>12}"
             f"{'seconds':>9}"]
    for r in results:
        lines.append(f"{r.rule:<22}{r.cases:>8}{r.edges:>7}{r.unexplained:>13}"
                     f"{sum(r.deliberate.values()):>12}{r.seconds:>9.1f}")
    for r in results:
        for kind, n in sorted(r.differences.items()) + sorted(r.deliberate.items()):
            reason = rules[r.rule].deliberate.get(kind)
            tag = f"deliberate: {reason}" if reason else "UNEXPLAINED"
            lines.append(f"\n{r.rule} / {kind}: {n} case(s) ({tag})")
            for case, detail in r.examples.get(kind, [])[: 3 if verbose else 1]:
                lines.append(f"  input    {_short(case, 600)}")
                lines.append(f"  {detail}")
    return "\n".join(lines)


# --- golden files ----------------------------------------------------------------------------

def golden_path(rule: Rule) -> Path:
    return GOLDEN / f"{rule.name}.json"


def write_golden(rule: Rule, commit: str, cases: Sequence[tuple[int, Json]],
                 answers: Sequence[Answer], n_edges: int, seed: int) -> Path:
    """Upstream's answers as data: every edge plus the first ``golden_random`` random cases."""
    keep = n_edges + min(rule.golden_random, len(cases) - n_edges)
    doc = {
        "rule": rule.name,
        "upstream": {"repository": "tracking202/prosper202", "commit": commit,
                     "files": list(rule.upstream_files)},
        "generated_by": f"tools/conformance/run.py rules --rule={rule.name} --seed={seed} "
                        "--write-golden",
        "php": php_version(),
        "edges": n_edges,
        "deliberate": dict(rule.deliberate),
        "cases": [{"input": case, "upstream": answer}
                  for (_, case), answer in list(zip(cases, answers, strict=True))[:keep]],
    }
    GOLDEN.mkdir(parents=True, exist_ok=True)
    path = golden_path(rule)
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def php_version() -> str:
    return subprocess.run(["php", "-r", "echo PHP_VERSION;"], capture_output=True, text=True,
                          check=False).stdout.strip()


def load_golden(name: str) -> Json:
    return json.loads((GOLDEN / f"{name}.json").read_text())


def timed(fn: Callable[[], None]) -> float:
    start = time.monotonic()
    fn()
    return time.monotonic() - start
