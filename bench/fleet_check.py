"""`attribtui check --all-profiles`: ten sandbox deployments at once, against each one alone.

Goals (issue "Fleet: every deployment at a glance"): the fleet of 10 at --parallel 4 takes at most
1.5 x the slowest single profile's check plus 1 s; a stalled profile (a server that accepts the
connection and never answers) adds nothing beyond its own deadline. Times are of the whole
command (process start included), median of 3; "in-process" is the fleet's own elapsed_s.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from common import BIN, row, seeded_database

from attribtui.services.fleet import GRACE_S

SIZES = [2000] * 9 + [20000]  # one deployment ten times larger: the slowest single check
STALL_DEADLINE_S = 5
RUNS = 3


def stall_listener() -> int:
    """A loopback port that accepts connections and never says a word (a hung server)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            conn, _ = server.accept()
            held.append(conn)  # kept open, never answered

    threading.Thread(target=accept, daemon=True).start()
    return int(server.getsockname()[1])


def write_config(folder: Path, urls: list[str], stalled_port: int | None) -> Path:
    lines = []
    for i, url in enumerate(urls):
        lines += [f"[profiles.p{i}]", 'environment = "staging"', 'groups = ["bench"]',
                  "read_only = true", f'db = {{ url = "{url}" }}']
    if stalled_port is not None:
        lines += ["[profiles.stalled]", 'environment = "staging"', "read_only = true",
                  f'db = {{ url = "mysql+pymysql://root@127.0.0.1:{stalled_port}/p202", '
                  "connect_timeout_s = 60 }", f"checks = {{ deadline_s = {STALL_DEADLINE_S} }}"]
    path = folder / ("config-stalled.toml" if stalled_port else "config.toml")
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def timed(args: list[str], env: dict[str, str]) -> tuple[float, dict | None]:
    """Median wall time of `attribtui ARGS` and the JSON of the last run (when --json)."""
    samples, doc = [], None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        out = subprocess.run([str(BIN / "attribtui"), *args], capture_output=True, text=True,
                             env=env, check=False)
        samples.append(time.perf_counter() - t0)
        if "--json" in args:
            doc = json.loads(out.stdout)
    return statistics.median(samples), doc


def main() -> None:
    urls = [seeded_database(f"attribtui_bench_fleet_{i}", n) for i, n in enumerate(SIZES)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_config(folder, urls, None)
        env = {**os.environ, "ATTRIBTUI_CONFIG": str(config),
               "ATTRIBTUI_DATA_DIR": str(folder / "data")}
        print(f"attribtui check on {len(urls)} sandbox profiles (MariaDB; conversions: "
              f"{', '.join(str(n) for n in SIZES)}), median of {RUNS} runs")
        singles = []
        for i, n in enumerate(SIZES):
            t, _ = timed(["check", "--profile", f"p{i}", "--no-save"], env)
            singles.append(t)
            row(f"single: check --profile p{i} ({n} conversions)", f"{t:6.2f} s")
        slowest = max(singles)
        fleet, doc = timed(["check", "--all-profiles", "--parallel", "4", "--no-save", "--json"],
                           env)
        inner = doc["fleet"]["elapsed_s"] if doc else float("nan")
        row("fleet: check --all-profiles --parallel 4 (10 profiles)", f"{fleet:6.2f} s")
        row("  in-process (fleet.elapsed_s, last run)", f"{inner:6.2f} s")
        row("  sum of the single checks", f"{sum(singles):6.2f} s")
        row("  fleet / (slowest single + 1 s)", f"{fleet / (slowest + 1):6.2f}")
        goal = 1.5 * slowest + 1
        row("  goal: <= 1.5 x slowest single + 1 s", f"{goal:6.2f} s "
            f"({'met' if fleet <= goal else 'MISSED'})")
        port = stall_listener()
        stalled_config = write_config(folder, urls, port)
        env["ATTRIBTUI_CONFIG"] = str(stalled_config)
        with_stall, doc = timed(["check", "--all-profiles", "--parallel", "4", "--no-save",
                                 "--json"], env)
        inner = doc["fleet"]["elapsed_s"] if doc else float("nan")
        stalled = next(p for p in doc["profiles"] if p["profile"] == "stalled") if doc else {}
        row(f"fleet + 1 stalled profile (deadline {STALL_DEADLINE_S} s, connect timeout 60 s)",
            f"{with_stall:6.2f} s")
        row("  in-process (fleet.elapsed_s, last run)", f"{inner:6.2f} s")
        row("  the stalled profile's row after", f"{stalled.get('elapsed_s', 0):6.2f} s")
        row(f"  its deadline + grace ({GRACE_S:g} s)", f"{STALL_DEADLINE_S + GRACE_S:6.2f} s")
        row("  the fleet without it (above) + its deadline",
            f"{fleet + STALL_DEADLINE_S:6.2f} s")
        row("  its error", str(stalled.get("error", ""))[:60])


if __name__ == "__main__":
    main()
