"""Compare upstream's v2 API with our emulator over the corpus, and write the golden file.

    python tools/conformance/engine/api.py [--random N] [--seed S] [--write]

Both sides get the same fixture database (api_fixture.py) and the same requests in the same
order (writes included), with the clock at the golden NOW. Prints each difference and the counts;
--write stores upstream's answers in tests/golden/api/v2.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(HERE), str(ROOT)]

import api_corpus  # noqa: E402
import api_fixture  # noqa: E402
import httpx  # noqa: E402
import upstream  # noqa: E402
from stage import stage  # noqa: E402

from tests import golden_db, golden_http  # noqa: E402
from tests.support import NOW  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "api" / "v2.json"
COMMIT = "ceec1ee"
FILES = ["api/v2/index.php", "api/v2/app.php", "api/Attribution/Controller.php",
         "202-config/Attribution/AttributionService.php", "202-config/Attribution/ModelDefinition.php",
         "202-config/Attribution/Repository/Mysql/MysqlModelRepository.php",
         "202-config/Attribution/ExportWebhook.php", "202-config/Attribution/ExportJob.php",
         "202-config/Attribution/Analytics/AnalyticsResponseTransformer.php",
         "202-config/connect.php", "Slim 3.12 (Debian php-slim 3.12.4)"]
STATE = ["202_attribution_models", "202_attribution_snapshots", "202_attribution_touchpoints",
         "202_attribution_audit", "202_attribution_exports", "202_attribution_settings"]
PREFIX = os.environ.get("P202_CONF_DB_PREFIX", "wt_engine_")


def run_upstream(requests: list[dict[str, object]], fixture: dict[str, object]
                 ) -> tuple[list[dict[str, object]], dict[str, object]]:
    root = stage(os.environ.get("P202_UPSTREAM_GIT", "/work/.mirror/tracking202+prosper202/repo"),
                 COMMIT)
    db = f"{PREFIX}api_up"
    golden_db.build(db, fixture, upstream_env=True)
    try:
        with upstream.api(root, db, NOW) as base, httpx.Client(timeout=30) as client:
            answers = [golden_http.send(client, base, r) for r in requests]
        return answers, golden_db.dump(db, STATE)
    finally:
        golden_db.drop(db)


def run_ours(requests: list[dict[str, object]], fixture: dict[str, object]
             ) -> tuple[list[dict[str, object]], dict[str, object]]:
    from attribtui.infra import clock
    from attribtui.sandbox import emulator

    db = f"{PREFIX}api_ours"
    golden_db.build(db, fixture)
    clock.freeze(NOW)
    server, _ = emulator.serve(f"mysql+pymysql://root@127.0.0.1:3306/{db}")
    try:
        with httpx.Client(timeout=30) as client:
            answers = [golden_http.send(client, emulator.base_url(server), r) for r in requests]
        return answers, golden_db.dump(db, STATE)
    finally:
        server.shutdown()
        golden_db.drop(db)


def normalise_state(state: dict[str, object]) -> dict[str, object]:
    """JSON columns compared as JSON (PHP and Python space them differently)."""
    out: dict[str, object] = {}
    for table, rows in state.items():
        assert isinstance(rows, list)
        fixed = []
        for row in rows:
            row = dict(row)
            for col in ("metadata", "weighting_config", "webhook_headers", "options"):
                if isinstance(row.get(col), str):
                    with contextlib.suppress(ValueError):
                        row[col] = {"json": json.loads(row[col])}
            fixed.append(row)
        out[table] = fixed
    return out


def delta(a: object, b: object, path: str = "") -> list[str]:
    """Where two JSON values differ, as paths (at most a few)."""
    ca, cb = golden_http.canonical(a), golden_http.canonical(b)
    if ca == cb:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            out += delta(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}")
        return out[:6]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += delta(x, y, f"{path}[{i}]")
        return out[:6]
    return [f"{path}: upstream {json.dumps(a)[:300]} | ours {json.dumps(b)[:300]}"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--random", type=int, default=300)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    fixture = api_fixture.fixture()
    requests = api_corpus.hand_picked() + api_corpus.random_cases(args.seed, args.random)
    theirs, their_state = run_upstream(requests, fixture)
    ours, our_state = run_ours(requests, fixture)
    (HERE / ".work").mkdir(exist_ok=True)
    (HERE / ".work" / "api-last.json").write_text(json.dumps(
        {"requests": requests, "upstream": theirs, "ours": ours}, indent=1))
    diffs, explained = 0, 0
    for i, (r, a, b) in enumerate(zip(requests, theirs, ours, strict=True)):
        if not golden_http.same(a, b):
            why = golden_http.explained(a)
            if why:
                explained += 1
            else:
                diffs += 1
            if not args.quiet:
                print(f"#{i} {r['method']} {r['path']}?{r['qs']} body={str(r['body'])[:200]} "
                      f"accept={r['accept']}" + (f"  [explained: {why[:60]}…]" if why else ""))
                for line in delta(a, b):
                    print(f"    {line}")
    their_n, our_n = normalise_state(their_state), normalise_state(our_state)
    state_diffs = [t for t in STATE if golden_http.canonical(their_n[t]) !=
                   golden_http.canonical(our_n[t])]
    for t in state_diffs:
        print(f"state {t}:")
        for line in delta(their_n[t], our_n[t], t)[:12]:
            print(f"    {line}")
    print(f"{len(requests)} requests ({len(requests) - args.random} hand-picked, "
          f"{args.random} random, seed {args.seed}): {diffs} differ unexplained, "
          f"{explained} explained (PHP warnings); "
          f"state tables differing: {state_diffs or 'none'}")
    if args.write:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps({
            "upstream": {"commit": COMMIT, "files": FILES},
            "generated_by": "tools/conformance/engine/api.py",
            "now": NOW, "seed": args.seed, "random": args.random,
            "normalisation": "responses: status, Content-Type, Allow and body only (see "
                             "tests/golden_http.py); state: JSON columns parsed",
            "fixture": fixture,
            "cases": [{"request": r, "response": a} for r, a in zip(requests, theirs,
                                                                   strict=True)],
            "state": their_state,
        }, indent=1, ensure_ascii=False) + "\n")
    return 1 if diffs or state_diffs else 0


if __name__ == "__main__":
    sys.exit(main())
