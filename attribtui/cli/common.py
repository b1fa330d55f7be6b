"""What every command shares: exit codes, the parser class, common flags, messages, profiles."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

EXIT_OK, EXIT_WARN, EXIT_FAIL, EXIT_UNKNOWN, EXIT_USAGE = 0, 1, 2, 3, 64

EXIT_CODES_HELP = """exit codes:
  0   done / all checks ok or info
  1   warnings or skipped checks; or the request was refused as invalid and nothing changed
  2   fail-level findings, or the operation failed
  3   could not tell: a backend unreachable, 401/403, a server error, an internal error
  64  the command line could not be parsed"""


class UsageError(Exception):
    """Bad command-line input: exit 64 with one line on stderr."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def common_args(p: argparse.ArgumentParser, *, fmt: bool = True, top: bool = False) -> None:
    # Sub-commands SUPPRESS their defaults so `attribtui --profile x check` keeps x.
    default = None if top else argparse.SUPPRESS
    p.add_argument("--profile", default=default,
                   help="profile name (default: $ATTRIBTUI_PROFILE, then default_profile)")
    p.add_argument("--config", metavar="PATH", default=default,
                   help="config file (default: $ATTRIBTUI_CONFIG, then the user config dir; "
                   "see `attribtui paths`)")
    if fmt:
        p.add_argument("--format", choices=("table", "json"), default="table")
        p.add_argument("--json", dest="format", action="store_const", const="json",
                       help="alias of --format json (JSON on stdout, messages on stderr)")


def mutation_args(p: argparse.ArgumentParser) -> None:
    """--dry-run, --yes and --confirm for every mutating command (DESIGN: headless output)."""
    p.add_argument("--dry-run", action="store_true",
                   help="print the exact request, SQL or command it would run (redacted) and stop")
    p.add_argument("--yes", action="store_true",
                   help="confirm without a prompt (required when stdin is not a terminal)")
    p.add_argument("--confirm", metavar="PROFILE_NAME",
                   help="on production and implicit profiles, the profile name typed as confirmation")


def err(msg: str) -> None:
    print(f"attribtui: {msg}", file=sys.stderr)


def load_profile_or_none(args: argparse.Namespace) -> Any:
    """Load the profile or print the config error; returns None on error (exit 3)."""
    from attribtui.infra.config import ConfigError, load_profile

    try:
        profile = load_profile(args.profile, config_path=args.config)
    except ConfigError as e:
        err(f"config error: {e}")
        return None
    for warning in profile.warnings:
        err(f"warning: {warning}")
    return profile
