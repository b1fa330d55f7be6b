#!/usr/bin/env python3
"""Conformance harness entry point (tools/conformance/README.md).

    .venv/bin/python tools/conformance/run.py rules [--rule=NAME ...] [--cases=N] [--seed=S]
                                                    [--write-golden] [--verbose]

``rules`` compares attribtui's pure rules with upstream's PHP on N random cases per rule plus the
hand-picked edges, prints per rule the cases run and the differences (with examples), and with
--write-golden writes upstream's answers to tests/golden/<rule>.json. Exit 0 when no difference
is unexplained, 1 otherwise, 2 when the harness itself could not run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from random import Random

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from rulecheck import r_casts, r_credit, r_journey, r_models, r_settings  # noqa: E402
from rulecheck.core import (  # noqa: E402
    Context,
    Result,
    Rule,
    compare_all,
    report,
    run_php,
    timed,
    write_golden,
)

ALL_RULES: list[Rule] = [r_casts.RULE, *r_models.RULES, *r_credit.RULES, *r_journey.RULES,
                         *r_settings.RULES]


def upstream_root(arg: str | None) -> Path:
    if arg:
        return Path(arg).resolve()
    found = sorted(p for p in (HERE / ".upstream").glob("*") if p.is_dir())
    if len(found) != 1:
        sys.exit(f"run.py: pass --upstream (found {len(found)} extractions; run setup.sh)")
    return found[0]


def run_rule(rule: Rule, n: int, seed: int, batch: int, root: Path, golden: bool,
             commit: str) -> Result:
    rng = Random(f"{seed}:{rule.name}")
    edges = rule.edges()
    cases = list(enumerate([*edges, *(rule.random(rng, i) for i in range(n))]))
    # Random cases keep indexes clear of the edges' own ids (users 900000+).
    result = Result(rule.name, edges=len(edges))
    answers: list[dict[str, object]] = []

    def go() -> None:
        if rule.needs_db:
            from rulecheck.scratch import reader, scratch_database

            tag = rule.name.replace("_", "")[:20]
            with scratch_database(tag, rule.layout) as db, db.engine.connect() as conn:
                ctx = Context(read=reader(conn), conn=conn, extra={"layout": rule.layout})
                if rule.prepare:
                    rule.prepare(ctx, cases)
                for k in range(0, len(cases), batch):
                    chunk = cases[k:k + batch]
                    got = run_php(rule, chunk, db.name, root)
                    answers.extend(got)
                    compare_all(rule, ctx, chunk, got, result)
        else:
            ctx = Context()
            for k in range(0, len(cases), batch):
                chunk = cases[k:k + batch]
                got = run_php(rule, chunk, None, root)
                answers.extend(got)
                compare_all(rule, ctx, chunk, got, result)

    result.seconds = timed(go)
    if golden:
        path = write_golden(rule, commit, cases, answers, len(edges), seed)
        print(f"wrote {path.relative_to(HERE.parent.parent)} "
              f"({path.stat().st_size // 1024} KiB)", file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run.py")
    sub = parser.add_subparsers(dest="command", required=True)
    rules = sub.add_parser("rules", help="compare the pure rules with upstream's PHP")
    rules.add_argument("--rule", action="append", choices=[r.name for r in ALL_RULES],
                       help="only this rule (repeatable); default: all")
    rules.add_argument("--cases", type=int, default=10000, help="random cases per rule")
    rules.add_argument("--seed", type=int, default=13)
    rules.add_argument("--batch", type=int, default=2000, help="cases per PHP process")
    rules.add_argument("--upstream", help="the extraction (default: the one under .upstream/)")
    rules.add_argument("--write-golden", action="store_true",
                       help="write upstream's answers to tests/golden/<rule>.json")
    rules.add_argument("--verbose", action="store_true", help="three examples per difference")
    args = parser.parse_args(argv)

    root = upstream_root(args.upstream)
    commit_file = root / ".conformance" / "commit"
    commit = commit_file.read_text().strip() if commit_file.exists() else root.name
    chosen = [r for r in ALL_RULES if not args.rule or r.name in args.rule]
    results = []
    for rule in chosen:
        print(f"{rule.name}: running…", file=sys.stderr)
        results.append(run_rule(rule, args.cases, args.seed, args.batch, root,
                                args.write_golden, commit))
    print(f"upstream {commit[:12]} at {root}")
    print(report(results, {r.name: r for r in chosen}, args.verbose))
    return 1 if any(r.unexplained for r in results) else 0


if __name__ == "__main__":
    import pymysql

    try:
        sys.exit(main())
    except (RuntimeError, OSError, pymysql.err.Error) as exc:  # PHP or MariaDB unavailable
        print(f"run.py: {exc}", file=sys.stderr)
        sys.exit(2)
