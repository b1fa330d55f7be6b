"""The `attribtui` command: the parser of every command family, and the one place where an error
becomes a message and an exit code (docs/architecture.md, "Exit codes").

Headless commands import only what they need and never Textual, so `attribtui check` stays fast
and scriptable; the console is opened by console.py.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from attribtui import __version__
from attribtui.cli import console
from attribtui.cli.common import (
    EXIT_CODES_HELP,
    PARSER_ATTR,
    Parser,
    common_args,
    driver_reason,
    err,
)
from attribtui.infra.redact import redact_urls_in
from attribtui.vocab import AttribtuiError, ExitCode, UsageError

# Imported when the full parser is built: the console alone needs none of them.
FAMILIES = ("check", "profiles", "console", "housekeeping", "sandbox", "jobs", "journey", "models",
            "purge", "report", "rollback")


def build_parser() -> Parser:
    parser = Parser(
        prog="attribtui",
        description="Operations console for Prosper202's multi-touch attribution. "
        "Without a command it opens the console on the default profile.",
        epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"attribtui {__version__}")
    common_args(parser, fmt=False, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for family in FAMILIES:
        importlib.import_module(f"attribtui.cli.{family}").register(sub)
    parser.set_defaults(func=console.cmd_console)
    return parser


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line as a namespace, or SystemExit(64) after one line on stderr: an unknown
    flag is named with the nearest flag of the command that was given (common.Parser)."""
    console_only = _console_only(sys.argv[1:] if argv is None else argv)
    if console_only is not None:
        return console_only
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    owner = vars(args).pop(PARSER_ATTR, parser)
    if extras:
        (owner if isinstance(owner, Parser) else parser).unknown(extras)
    return args


def _console_only(argv: Sequence[str]) -> argparse.Namespace | None:
    """`attribtui` with at most --profile and --config: the console, parsed without building
    every command's parser and importing its module (40-50 ms of the console's first paint).
    None for anything else (a command, --help, a typo): the full parser takes it."""
    parser = argparse.ArgumentParser(prog="attribtui", add_help=False, allow_abbrev=False,
                                     exit_on_error=False)
    common_args(parser, fmt=False, top=True)
    try:
        args, extras = parser.parse_known_args(argv)
    except argparse.ArgumentError:  # e.g. --profile without its value: the full parser says so
        return None
    if extras:
        return None
    args.func, args.command = console.cmd_console, None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse(argv)
    except SystemExit as e:  # --help, --version, a usage error: argparse has printed it
        return ExitCode.OK if e.code is None else e.code if isinstance(e.code, int) \
            else ExitCode.USAGE
    try:
        return int(args.func(args) or 0)
    except UsageError as e:
        print(f"attribtui: error: {e}", file=sys.stderr)
        return ExitCode.USAGE
    except AttribtuiError as e:
        err(f"{e.prefix}{e}")
        return e.exit_code
    except KeyboardInterrupt:
        err("interrupted")
        return ExitCode.UNKNOWN
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as e:  # a bug: one redacted line (no traceback: it may hold a secret)
        reason = driver_reason(e)
        if reason is not None:  # an outage no layer translated, not a bug
            err(f"the database could not be read or written ({reason}); check that it is "
                "running and reachable, then try again")
            return ExitCode.UNKNOWN
        first = str(e).splitlines()[0] if str(e) else ""
        err(f"internal error: {type(e).__name__}: {redact_urls_in(first)[:300]} "
            "(please report it; ATTRIBTUI_DEBUG=1 shows the traceback)")
        if os.environ.get("ATTRIBTUI_DEBUG"):
            raise
        return ExitCode.UNKNOWN


if __name__ == "__main__":
    sys.exit(main())
