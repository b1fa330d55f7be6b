"""The `attribtui` command: argparse entry point.

Headless commands import only what they need (never Textual), so `attribtui check` stays fast
and scriptable. Exit codes follow DESIGN (Nagios-like): 0 ok, 1 warnings/refused, 2 failures,
3 could not tell, 64 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from attribtui import __version__
from attribtui.cli import jobs, journey, models, purge, report, rollback
from attribtui.cli.common import (
    EXIT_CODES_HELP,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_USAGE,
    EXIT_WARN,
    Parser,
    UsageError,
    common_args,
    err,
    load_profile_or_none,
)


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = Parser(
        prog="attribtui",
        description="Operations console for Prosper202's multi-touch attribution. "
        "Without a command it opens the console on the default profile.",
        epilog=EXIT_CODES_HELP,
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"attribtui {__version__}")
    common_args(parser, fmt=False, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("check", help="run the schema, cron and integrity checks",
                       description="Run the checks against the profile's database and print "
                       "the results. Each run is saved under the data dir.",
                       epilog=EXIT_CODES_HELP.replace("done / ", ""), formatter_class=fmt)
    common_args(p, fmt=False)
    p.add_argument("--format", choices=("table", "json", "prometheus"), default="table",
                   help="table (default), json, or prometheus: the text exposition format for "
                   "node_exporter's textfile collector (one gauge per check and status)")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="alias of --format json (JSON on stdout, messages on stderr)")
    p.add_argument("--window", default="48h", metavar="DURATION",
                   help="how far back the integrity checks look, e.g. 6h, 48h, 7d (default 48h)")
    p.add_argument("--only", action="append", metavar="IDS_OR_GROUPS",
                   help="comma-separated check ids or groups (repeatable), e.g. schema,cron.rebuild_guard")
    p.add_argument("--list", action="store_true", help="list the check ids and exit")
    p.add_argument("--no-save", action="store_true", help="do not save this run under the data dir")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("demo", help="open the console on the embedded demo (SQLite sandbox)",
                       description="Seed (or reuse) the demo database under the data dir and open "
                       "the console on it with a `demo` profile. The demo is reseeded when older "
                       "than 6 h, since its findings are relative to when it was seeded.")
    p.add_argument("--reset", action="store_true", help="reseed the demo database now")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("config", help="show the effective configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", parser_class=Parser)
    show = csub.add_parser("show", help="the effective config, secrets redacted, with each value's source")
    common_args(show)
    show.set_defaults(func=cmd_config_show)
    p.set_defaults(func=lambda a: _usage(p))

    p = sub.add_parser("paths", help="print every file and folder attribtui uses, with sizes")
    common_args(p)
    p.set_defaults(func=cmd_paths)

    p = sub.add_parser("prune", help="remove old check runs and job logs",
                       epilog=EXIT_CODES_HELP, formatter_class=fmt)
    common_args(p)
    p.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 30d, 12h")
    p.add_argument("--include-backups", action="store_true", help="also remove old purge/model backups")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed")
    p.set_defaults(func=cmd_prune)

    p = sub.add_parser("sandbox", help="the embedded Prosper202 (seeded database) for demos and tests")
    ssub = p.add_subparsers(dest="sandbox_command", metavar="ACTION", parser_class=Parser)
    seed = ssub.add_parser("seed", help="create and seed a sandbox Prosper202 database",
                           epilog=EXIT_CODES_HELP, formatter_class=fmt)
    common_args(seed)
    seed.add_argument("--url", required=True, help="database URL, e.g. mysql+pymysql://root@127.0.0.1:3306/p202_sandbox or sqlite:///demo.sqlite")
    seed.add_argument("--conversions", type=int, default=2000, help="how many conversions (default 2000)")
    seed.add_argument("--now", help="pretend it is this time (epoch or ISO-8601 UTC); default: now")
    seed.add_argument("--no-defects", action="store_true", help="plant no defects (a clean database)")
    seed.add_argument("--defect", action="append", metavar="ID",
                      help="plant exactly these defects (repeatable); see --list-defects")
    seed.add_argument("--list-defects", action="store_true", help="list the planted-defect registry")
    seed.add_argument("--reset", action="store_true", help="drop and reseed an existing sandbox")
    seed.add_argument("--allow-remote", action="store_true", help="allow a non-loopback database host")
    seed.set_defaults(func=cmd_sandbox_seed)
    p.set_defaults(func=lambda a: _usage(p))
    _register_plugins(sub, ssub)
    return parser


def _register_plugins(sub: argparse._SubParsersAction, sandbox: argparse._SubParsersAction) -> None:
    """Each command family adds its commands (and `sandbox` actions, if any)."""
    for module in (jobs, journey, models, purge, report, rollback):
        module.register(sub, sandbox)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args.func = cmd_console
    try:
        return int(args.func(args) or 0)
    except UsageError as e:
        print(f"attribtui: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("attribtui: interrupted", file=sys.stderr)
        return EXIT_UNKNOWN
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # a bug: one redacted line (no traceback: it may hold a secret)
        from attribtui.infra.redact import redact_urls_in

        first = str(e).splitlines()[0] if str(e) else ""
        err(f"internal error: {type(e).__name__}: {redact_urls_in(first)[:300]} "
            "(please report it; ATTRIBTUI_DEBUG=1 shows the traceback)")
        if os.environ.get("ATTRIBTUI_DEBUG"):
            raise
        return EXIT_UNKNOWN


# -- console ----------------------------------------------------------------------------------------


def cmd_console(args: argparse.Namespace) -> int:
    """No command: the console on the default profile, or a screen explaining how to set one up."""
    from attribtui.infra.config import ConfigError, find_config, load_profile

    profile, error = None, None
    try:
        if find_config(args.config) or os.environ.get("ATTRIBTUI_DB_URL") or args.profile:
            profile = load_profile(args.profile, config_path=args.config)
    except ConfigError as e:
        error = str(e)
    from screens.app import run_console

    return run_console(profile, config_error=error)


def cmd_demo(args: argparse.Namespace) -> int:
    from attribtui.services import demo

    path = demo.db_path()
    busy = demo.busy_reason()
    if args.reset and busy:
        err(f"refused: not reseeding the demo now: {busy}; wait for it or cancel it first")
        return EXIT_WARN

    profile = demo.profile(path)
    port = int(profile.api.base_url.rsplit(":", 1)[1])

    def prepare(progress: Callable[[str, float], None]) -> None:
        """In a worker after the first paint: reuse or seed the demo, then serve its v2 API."""
        progress("checking the demo database", 0.0)
        reason = demo.needs_seed(path, reset=args.reset)
        if reason:
            progress(f"seeding the demo database ({reason})", 0.0)
            demo.reseed(path, progress)
        progress("starting the v2 API emulator", 1.0)
        demo.start_api(path, port)

    from screens.app import run_console

    return run_console(profile, prepare=prepare)


# -- check ------------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from attribtui import checks
    from attribtui.checks import store
    from attribtui.infra import clock
    from attribtui.infra.db import Database, DbError

    if args.list:
        for spec in checks.load_checks().values():
            print(f"{spec.id:32} {spec.title}")
        return EXIT_OK
    try:
        specs = checks.select(args.only)
    except ValueError as e:
        raise UsageError(str(e)) from None
    try:
        window_s = clock.parse_duration(args.window)
    except ValueError as e:
        raise UsageError(f"--window: {e}") from None
    profile = load_profile_or_none(args)
    if profile is None:
        return EXIT_UNKNOWN
    try:
        db = Database.from_profile(profile)
    except DbError as e:
        err(str(e))
        return EXIT_UNKNOWN
    ctx = checks.CheckContext(db=db, now=clock.now(), profile=profile, window_s=window_s)
    show = _progress_printer() if args.format == "table" and sys.stderr.isatty() else None
    try:
        results = checks.run_checks(ctx, specs, progress=show)
    finally:
        db.close()
    report = checks.report(results, profile=profile.name, now=ctx.now, overrides=profile.overrides)
    saved = None
    if not args.no_save:
        try:
            saved = store.save(report)
        except OSError as e:
            err(f"warning: could not save this run ({e})")
    if args.format == "json":
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "prometheus":
        from attribtui.checks.prometheus import render

        sys.stdout.write(render(report))
    else:
        print(render_check_table(report, profile=profile, db_label=db.label))
        if saved:
            print(f"Saved: {saved}")
    return checks.exit_code(results)


def _progress_printer() -> Callable[[int, int, Any], None]:
    def show(i: int, n: int, res: Any) -> None:
        end = "\n" if i == n else ""
        print(f"\r\033[K[{i}/{n}] {res.id}", end=end, file=sys.stderr, flush=True)
        if i == n:
            print("\033[1A\r\033[K", end="", file=sys.stderr, flush=True)

    return show


SYMBOLS = {"ok": "✔ ok", "info": "ℹ info", "warn": "▲ WARN", "skipped": "… skipped",
           "fail": "✖ FAIL", "error": "‼ ERROR"}
COLOURS = {"ok": "32", "info": "36", "warn": "33", "skipped": "2", "fail": "1;31", "error": "1;35"}


def _colour(status: str, text: str) -> str:
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return text
    return f"\033[{COLOURS[status]}m{text}\033[0m"


def render_check_table(report: dict[str, Any], *, profile: Any, db_label: str) -> str:
    from attribtui import checks

    width = 100
    lines = [
        f"attribtui check · profile {profile.name} ({profile.environment}) · {db_label} · "
        f"{report['generated_at_iso']}"
    ]
    lines += [f"override: {o}" for o in report.get("overrides", [])]
    lines.append("")
    for r in report["checks"]:
        sym = SYMBOLS[r["status"]]
        lines.append(f"{_colour(r['status'], f'{sym:10}')} {r['id']:28} {r['details']}"[: width * 4])
        if r["status"] in ("warn", "fail", "error") and r.get("evidence"):
            ev = r["evidence"]
            for row in ev["rows"][:5]:
                lines.append(f"{'':11}  · " + " | ".join("" if v is None else str(v) for v in row))
            if len(ev["rows"]) > 5 or ev["truncated"]:
                lines.append(f"{'':11}  · … more in --json")
        if r["status"] in ("warn", "fail") and r.get("remediation"):
            lines.append(f"{'':11}  fix: {r['remediation']}")
    s = report["summary"]
    parts = ", ".join(f"{n} {k}" for k, n in s.items() if n)
    code = checks.exit_code([checks.CheckResult(**c) for c in report["checks"]])
    lines += ["", f"Summary: {parts} (exit {code})"]
    return "\n".join(lines)


# -- config / paths / prune -----------------------------------------------------------------------


def cmd_config_show(args: argparse.Namespace) -> int:
    from attribtui.infra.config import effective_config

    profile = load_profile_or_none(args)
    if profile is None:
        return EXIT_UNKNOWN
    rows = effective_config(profile)
    if args.format == "json":
        json.dump({"profile": profile.name, "config_path": str(profile.config_path or ""),
                   "overrides": profile.overrides,
                   "values": [{"key": k, "value": v, "source": s} for k, v, s in rows]},
                  sys.stdout, indent=2)
        print()
        return EXIT_OK
    src = profile.config_path or "no config file (implicit profile from the environment)"
    print(f"profile {profile.name} ({profile.environment}) from {src}")
    for o in profile.overrides:
        print(f"override: {o}")
    w = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        print(f"  {key:{w}}  {value:40}  {source}")
    return EXIT_OK


def cmd_paths(args: argparse.Namespace) -> int:
    from attribtui.infra.config import ConfigError, find_config
    from attribtui.infra.paths import app_paths, path_size

    try:
        cfg = find_config(args.config)
    except ConfigError as e:
        err(f"config error: {e}")
        return EXIT_UNKNOWN
    rows = [(name, path, path.exists(), path_size(path)) for name, path in app_paths(cfg)]
    if args.format == "json":
        json.dump([{"name": n, "path": str(p), "exists": e, "bytes": s} for n, p, e, s in rows],
                  sys.stdout, indent=2)
        print()
        return EXIT_OK
    for name, path, exists, size in rows:
        print(f"{name:10} {_size(size) if exists else '(absent)':>10}  {path}")
    return EXIT_OK


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def cmd_prune(args: argparse.Namespace) -> int:
    from attribtui.infra.clock import parse_duration
    from attribtui.services.housekeeping import prunable, prune

    try:
        age = parse_duration(args.older_than)
    except ValueError as e:
        raise UsageError(f"--older-than: {e}") from None
    found = prunable(age, include_backups=args.include_backups)
    verb = "would remove" if args.dry_run else "removed"
    if args.format == "json":
        if not args.dry_run:
            prune(found)
        json.dump({"dry_run": args.dry_run, "paths": [{"path": str(p), "bytes": s} for p, s in found]},
                  sys.stdout, indent=2)
        print()
        return EXIT_OK
    for path, size in found:
        print(f"{verb} {path} ({_size(size)})")
    total = sum(s for _, s in found) if args.dry_run else prune(found)
    print(f"{len(found)} item(s), {_size(total)} {verb}"
          + ("" if args.include_backups else "; backups kept (--include-backups to remove them)"))
    return EXIT_OK


# -- sandbox ----------------------------------------------------------------------------------------


def cmd_sandbox_seed(args: argparse.Namespace) -> int:
    from attribtui.sandbox import defects as registry

    if args.list_defects:
        for d in registry.DEFECTS.values():
            finds = "; ".join(f"{f.check_id} {f.status}" for f in d.findings)
            print(f"{d.id:30} {d.where:9} {finds:45} {d.title}")
        return EXIT_OK
    from attribtui.infra.clock import parse_instant
    from attribtui.sandbox.seed import SeedRefused, seed

    if args.conversions < 1:
        raise UsageError("--conversions must be at least 1")
    try:
        now = parse_instant(args.now) if args.now else None
    except ValueError as e:
        raise UsageError(f"--now: {e}") from None
    if args.no_defects and args.defect:
        raise UsageError("--no-defects and --defect exclude each other")
    unknown = [d for d in args.defect or [] if d not in registry.DEFECTS]
    if unknown:
        raise UsageError(f"--defect: unknown defect {', '.join(unknown)}; see --list-defects")
    defects: Any = "none" if args.no_defects else (args.defect or "demo")

    def progress(stage: str, fraction: float) -> None:
        if sys.stderr.isatty():
            print(f"\r\033[Kseeding: {stage} {fraction:4.0%}", end="", file=sys.stderr, flush=True)

    try:
        report = seed(args.url, conversions=args.conversions, now=now, defects=defects,
                      reset=args.reset, allow_remote=args.allow_remote,
                      forbidden_urls=_cautious_db_urls(args), progress=progress)
    except SeedRefused as e:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        err(f"refused: {e}")
        return EXIT_WARN
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.format == "json":
        from dataclasses import asdict

        json.dump(asdict(report), sys.stdout, indent=2, default=str)
        print()
    else:
        print(f"Seeded {report.url} in {report.seconds:.1f} s (now = {report.now}).")
        for table, n in report.counts.items():
            print(f"  {table:32} {n:>9}")
        print(f"Planted defects: {', '.join(report.defects) or 'none'}")
    return EXIT_OK


def _cautious_db_urls(args: argparse.Namespace) -> list[str]:
    """Database URLs of every production/unknown profile: the seeder refuses to touch them."""
    from attribtui.infra.config import ConfigError, load_profile, profile_names

    urls: list[str] = []
    try:
        for name in profile_names(args.config):
            profile = load_profile(name, config_path=args.config)
            if profile.cautious:
                urls += [u for u in (profile.db.url, profile.db.read_url) if u]
    except ConfigError as e:
        err(f"warning: could not read every profile to protect its database ({e})")
    return urls


if __name__ == "__main__":
    sys.exit(main())
