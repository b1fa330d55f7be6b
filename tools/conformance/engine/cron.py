"""Compare upstream's cron scripts with our stand-ins, and write the golden files.

    python tools/conformance/engine/cron.py [--write]

Each case is a small database (cron_cases.py), a script and its argv, optionally with the database
down. Both sides run on their own copy of the database with the clock at the golden NOW; stdout,
stderr (normalised, tests/golden_cron.py), the exit code and the tables the script writes are
compared. --write stores upstream's side under tests/golden/cron/ (the rebuild's runner rows also
under tests/golden/runner/).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(HERE), str(ROOT)]

import cron_cases  # noqa: E402
import upstream  # noqa: E402
from stage import stage  # noqa: E402

from tests import golden_cron, golden_db  # noqa: E402
from tests.support import NOW  # noqa: E402

COMMIT = "ceec1ee"
SCRIPTS = {"rebuild": "attribution-rebuild.php", "backfill": "backfill-conversion-journeys.php"}
PREFIX = os.environ.get("P202_CONF_DB_PREFIX", "wt_engine_")
DOWN_PORT = "1"  # nothing listens there: connect.php's outage path


def run_upstream(case: dict[str, object]) -> dict[str, object]:
    root = stage(os.environ.get("P202_UPSTREAM_GIT", "/work/.mirror/tracking202+prosper202/repo"),
                 COMMIT)
    db = f"{PREFIX}cron_up"
    golden_db.build(db, case["fixture"], upstream_env=True)  # type: ignore[arg-type]
    extra: dict[str, str] = {}
    args = [str(a) for a in case["argv"]]  # type: ignore[union-attr]
    try:
        php_args = ["-d", f"mysqli.default_port={DOWN_PORT}"] if case.get("db_down") else []
        proc = subprocess.run([upstream.PHP, *php_args, f"202-cronjobs/{SCRIPTS[str(case['script'])]}",
                               *args], cwd=root, env=upstream.env(db, NOW, extra),
                              capture_output=True, timeout=120)
        out = {"exit": proc.returncode,
               "stdout": golden_cron.normalise(proc.stdout.decode(errors="replace"), str(root)),
               "stderr": golden_cron.normalise(proc.stderr.decode(errors="replace"), str(root)),
               "state": golden_db.dump(db, cron_cases.STATE)}
        return out
    finally:
        golden_db.drop(db)


def run_ours(case: dict[str, object]) -> dict[str, object]:
    db = f"{PREFIX}cron_ours"
    golden_db.build(db, case["fixture"])  # type: ignore[arg-type]
    port = DOWN_PORT if case.get("db_down") else "3306"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIBTUI_")}
    env.update({"P202_SANDBOX_DB_URL": f"mysql+pymysql://root@127.0.0.1:{port}/{db}",
                "ATTRIBTUI_NOW": str(NOW), "PYTHONPATH": str(ROOT)})
    for k in ("HTTP_HOST", "SERVER_ADDR", "SERVER_NAME", "REMOTE_ADDR"):
        env.pop(k, None)
    try:
        proc = subprocess.run([sys.executable, "-m", "attribtui.sandbox.cron",
                               str(case["script"]), *[str(a) for a in case["argv"]]],  # type: ignore[union-attr]
                              cwd=ROOT, env=env, capture_output=True, timeout=120)
        return {"exit": proc.returncode,
                "stdout": golden_cron.normalise(proc.stdout.decode(errors="replace")),
                "stderr": golden_cron.normalise(proc.stderr.decode(errors="replace")),
                "state": golden_db.dump(db, cron_cases.STATE)}
    finally:
        golden_db.drop(db)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    differing = 0
    cases = [c for c in cron_cases.cases() if args.only in str(c["name"])]
    for case in cases:
        theirs, ours = run_upstream(case), run_ours(case)
        diffs = [k for k in ("exit", "stdout", "stderr") if theirs[k] != ours[k]]
        state = theirs["state"]
        assert isinstance(state, dict)
        diffs += [t for t in state if state[t] != ours["state"][t]]  # type: ignore[index]
        if diffs:
            differing += 1
            print(f"== {case['name']}: differs in {', '.join(diffs)}")
            for k in diffs:
                a = theirs[k] if k in theirs else state[k]
                b = ours[k] if k in ours else ours["state"][k]  # type: ignore[index]
                print(f"  upstream {k}: {json.dumps(a)[:1500]}\n  ours     {k}: {json.dumps(b)[:1500]}")
        else:
            print(f"== {case['name']}: same")
        if args.write:
            folder = "runner" if case.get("runner") else "cron"
            path = ROOT / "tests" / "golden" / folder / f"{case['name']}.json"
            path.write_text(json.dumps({
                "upstream": {"commit": COMMIT, "files": [
                    f"202-cronjobs/{SCRIPTS[str(case['script'])]}", "202-config/connect.php",
                    "202-config/Attribution/AttributionJobRunner.php",
                    "202-config/Attribution/Repository/Mysql/ConversionJourneyRepository.php"]},
                "generated_by": "tools/conformance/engine/cron.py",
                "php": "Debian php8.2-cli, default php.ini (display_errors Off, log_errors On)",
                "normalisation": golden_cron.__doc__,
                "now": NOW, "why": case.get("why", ""), "script": case["script"],
                "argv": case["argv"], "db_down": bool(case.get("db_down")),
                "fixture": case["fixture"], "expected": theirs,
            }, indent=1) + "\n")
    print(f"{len(cases)} cron cases: {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
