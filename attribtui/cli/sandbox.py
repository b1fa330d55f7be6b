"""`attribtui sandbox seed` and `attribtui sandbox api`: the embedded Prosper202 as a training
and test target (a seeded database, the v2 API emulator served over HTTP)."""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import asdict

from attribtui.cli.common import (
    EXIT_CODES_HELP,
    Parser,
    Sub,
    common_args,
    count_arg,
    db_url_arg,
    driver_reason,
    err,
    instant_arg,
    print_json,
    usage,
)
from attribtui.infra.config import ConfigError, load_profile, profile_names
from attribtui.infra.redact import describe_db_url, redact_url
from attribtui.vocab import ExitCode, Refused, Unreachable, UsageError

MAX_CONVERSIONS = 1_000_000


def register(sub: Sub) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("sandbox",
                       help="the embedded Prosper202 (seeded database) for demos and tests")
    ssub = p.add_subparsers(dest="sandbox_command", metavar="ACTION", parser_class=Parser)
    p.set_defaults(func=lambda a: usage(p))
    seed = ssub.add_parser("seed", help="create and seed a sandbox Prosper202 database",
                           epilog=EXIT_CODES_HELP, formatter_class=fmt)
    common_args(seed)
    seed.add_argument("--url", type=db_url_arg,
                      help="database URL (required unless --list-defects), e.g. mysql+pymysql://root@127.0.0.1:3306/p202_sandbox "
                      "or sqlite:///demo.sqlite")
    seed.add_argument("--conversions", type=count_arg(1, MAX_CONVERSIONS), default=2000,
                      help=f"how many conversions (default 2000, at most {MAX_CONVERSIONS})")
    seed.add_argument("--now", type=instant_arg,
                      help="pretend it is this time (epoch or ISO-8601 UTC); default: now")
    seed.add_argument("--no-defects", action="store_true",
                      help="plant no defects (a clean database)")
    seed.add_argument("--defect", action="append", metavar="ID",
                      help="plant exactly these defects (repeatable); see --list-defects")
    seed.add_argument("--list-defects", action="store_true",
                      help="list the planted-defect registry")
    seed.add_argument("--reset", action="store_true", help="drop and reseed an existing sandbox")
    seed.add_argument("--allow-remote", action="store_true",
                      help="allow a non-loopback database host")
    seed.set_defaults(func=cmd_seed)

    api = ssub.add_parser("api", help="serve the v2 API emulator on a sandbox database",
                          description="Serve /api/v2 (as Prosper202 answers it) over HTTP on a "
                          "seeded sandbox database, for training and for other clients. Ctrl-C "
                          "stops.")
    api.add_argument("--url", required=True, type=db_url_arg, help="the sandbox database URL")
    api.add_argument("--port", type=count_arg(0, 65535), default=8202,
                     help="port (default 8202; 0 = any free)")
    api.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    api.add_argument("--show-keys", action="store_true",
                     help="print the sandbox API keys from 202_api_keys (sandbox keys only)")
    api.set_defaults(func=cmd_api)


def cmd_seed(args: argparse.Namespace) -> int:
    # Loaded per command: `attribtui --help` stays fast.
    from attribtui.sandbox import defects as registry
    from attribtui.sandbox.seed import seed

    if args.list_defects:
        for d in registry.DEFECTS.values():
            finds = "; ".join(f"{f.check_id} {f.status}" for f in d.findings)
            print(f"{d.id:30} {d.where:9} {finds:45} {d.title}")
        return ExitCode.OK
    if not args.url:
        raise UsageError("--url is required: the database to seed, e.g. "
                         "--url sqlite:///demo.sqlite; see `attribtui sandbox seed --help`")
    if args.no_defects and args.defect:
        raise UsageError("--no-defects and --defect exclude each other")
    unknown = [d for d in args.defect or [] if d not in registry.DEFECTS]
    if unknown:
        raise UsageError(f"--defect: unknown defect {', '.join(unknown)}; see --list-defects")
    defects: str | list[str] = "none" if args.no_defects else (args.defect or "demo")
    tty = sys.stderr.isatty()

    def progress(stage: str, fraction: float) -> None:
        if tty:
            print(f"\r\033[Kseeding: {stage} {fraction:4.0%}", end="", file=sys.stderr, flush=True)

    try:
        report = seed(args.url, conversions=args.conversions, now=args.now, defects=defects,
                      reset=args.reset, allow_remote=args.allow_remote,
                      forbidden_urls=_cautious_db_urls(args), progress=progress)
    except Exception as e:
        reason = driver_reason(e)
        if reason is None:
            raise
        raise Unreachable(f"seeding the sandbox at {describe_db_url(args.url)} stopped: {reason}; "
                          "it may be incomplete: rerun with --reset once the database answers"
                          ) from None
    finally:
        if tty:
            print(file=sys.stderr)
    if args.format == "json":
        print_json(asdict(report))
    else:
        print(f"Seeded {report.url} in {report.seconds:.1f} s (now = {report.now}).")
        for table, n in report.counts.items():
            print(f"  {table:32} {n:>9}")
        print(f"Planted defects: {', '.join(report.defects) or 'none'}")
    return ExitCode.OK


def _cautious_db_urls(args: argparse.Namespace) -> list[str]:
    """Database URLs of every production/unknown profile: the seeder refuses to touch them."""
    urls: list[str] = []
    try:
        for name in profile_names(args.config):
            profile = load_profile(name, config_path=args.config)
            if profile.cautious:
                urls += [u for u in (profile.db.url, profile.db.read_url) if u]
    except ConfigError as e:
        err(f"warning: could not read every profile to protect its database ({e})")
    return urls


def cmd_api(args: argparse.Namespace) -> int:
    # Loaded per command: `attribtui --help` stays fast.
    from attribtui.sandbox.emulator import base_url, serve, show_keys
    from attribtui.sandbox.seed import read_marker

    try:
        marker = read_marker(args.url)
    except Exception as e:  # noqa: BLE001 - unreachable or not a database: one line
        raise Unreachable(f"cannot open {redact_url(args.url)} ({type(e).__name__}); check --url"
                          ) from None
    if not marker:
        # The emulator writes like Prosper202 does, outside attribtui's confirmations and
        # read-only mode: only ever on a database the sandbox seeder created.
        raise Refused(f"{redact_url(args.url)} is not an attribtui sandbox (no marker table); "
                      "seed one with `attribtui sandbox seed --url ...`")
    try:
        server, _thread = serve(args.url, args.host, args.port)
    except OSError as e:
        raise Unreachable(f"cannot listen on {args.host}:{args.port} ({e.strerror}); pick another "
                          "--port") from None
    print(f"v2 API emulator on {redact_url(args.url)} at {base_url(server)}/api/v2 (Ctrl-C stops)",
          flush=True)
    if args.show_keys:
        for line in show_keys(args.url):
            print(f"  {line}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return ExitCode.OK
