"""`attribtui config show`, `attribtui paths` and `attribtui prune`: the tool's own files."""

from __future__ import annotations

import argparse
import sys

from attribtui.cli.common import (
    EXIT_CODES_HELP,
    Parser,
    Sub,
    common_args,
    duration_arg,
    print_json,
    profile_of,
    usage,
)
from attribtui.infra import clock, paths
from attribtui.infra.config import effective_config, find_config
from attribtui.vocab import ExitCode


def register(sub: Sub) -> None:
    p = sub.add_parser("config", help="show the effective configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", parser_class=Parser)
    show = csub.add_parser("show", help="the effective config, secrets redacted, with each "
                           "value's source")
    common_args(show)
    show.set_defaults(func=cmd_config_show)
    p.set_defaults(func=lambda a: usage(p))

    p = sub.add_parser("paths", help="print every file and folder attribtui uses, with sizes")
    common_args(p)
    p.set_defaults(func=cmd_paths)

    p = sub.add_parser("prune", help="remove old check runs and job logs",
                       epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(p)
    p.add_argument("--older-than", required=True, metavar="AGE",
                   type=duration_arg(clock.MAX_DURATION_S),
                   help=f"e.g. 30d, 12h (at most {clock.format_duration(clock.MAX_DURATION_S)})")
    p.add_argument("--include-backups", action="store_true",
                   help="also remove old purge/model backups")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed")
    p.set_defaults(func=cmd_prune)


def cmd_config_show(args: argparse.Namespace) -> int:
    profile = profile_of(args)
    rows = effective_config(profile)
    if args.format == "json":
        print_json({"profile": profile.name, "config_path": str(profile.config_path or ""),
                    "overrides": profile.overrides,
                    "values": [{"key": k, "value": v, "source": s} for k, v, s in rows]})
        return ExitCode.OK
    src = profile.config_path or "no config file (implicit profile from the environment)"
    print(f"profile {profile.name} ({profile.environment}) from {src}")
    for o in profile.overrides:
        print(f"override: {o}")
    w = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        print(f"  {key:{w}}  {value:40}  {source}")
    return ExitCode.OK


def cmd_paths(args: argparse.Namespace) -> int:
    rows = [(name, path, path.exists(), paths.path_size(path))
            for name, path in paths.app_paths(find_config(args.config))]
    if args.format == "json":
        print_json([{"name": n, "path": str(p), "exists": e, "bytes": s,
                     "holds": paths.LAYOUT.get(n, ("", ""))[1]} for n, p, e, s in rows])
        return ExitCode.OK
    for name, path, exists, size in rows:
        print(f"{name:10} {_size(size) if exists else '(absent)':>10}  {path}")
    return ExitCode.OK


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def cmd_prune(args: argparse.Namespace) -> int:
    from attribtui.services.housekeeping import prunable, prune  # per command: --help stays fast

    found = prunable(args.older_than, include_backups=args.include_backups)
    verb = "would remove" if args.dry_run else "removed"
    if args.format == "json":
        if not args.dry_run:
            prune(found)
        print_json({"dry_run": args.dry_run,
                    "paths": [{"path": str(p), "bytes": s} for p, s in found]})
        return ExitCode.OK
    for path, size in found:
        print(f"{verb} {path} ({_size(size)})")
    total = sum(s for _, s in found) if args.dry_run else prune(found)
    print(f"{len(found)} item(s), {_size(total)} {verb}"
          + ("" if args.include_backups else "; backups kept (--include-backups to remove them)"),
          file=sys.stdout)
    return ExitCode.OK
