"""What every command shares: the exit-code help, the parser, common flags, messages, the profile,
and the headless confirmation.

Commands raise the vocabulary's errors (`Refused`, `Unreachable`, `UsageError`, ...); main.py
turns them into one stderr line and their exit code, in one place.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn, TypeAlias

from attribtui.infra.config import Profile, load_profile
from attribtui.services.actions import ActionPlan, typed_requirement, where
from attribtui.vocab import ExitCode, Refused

EXIT_CODES_HELP = """exit codes:
  0   done / all checks ok or info
  1   warnings or skipped checks; or the request was refused as invalid and nothing changed
  2   fail-level findings, or the operation failed
  3   could not tell: a backend unreachable, 401/403, a server error, an internal error
  64  the command line could not be parsed"""

# What register() receives; argparse exposes no public name for it.
Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


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
    """--dry-run, --yes and --confirm for every mutating command."""
    p.add_argument("--dry-run", action="store_true",
                   help="print the exact request, SQL or command it would run (redacted) and stop")
    p.add_argument("--yes", action="store_true",
                   help="confirm without a prompt (required when stdin is not a terminal)")
    p.add_argument("--confirm", metavar="PROFILE_NAME",
                   help="on production and implicit profiles, the profile name typed as confirmation")


def usage(p: argparse.ArgumentParser) -> int:
    """A command family called without its action: its help, exit 64."""
    p.print_help(sys.stderr)
    return ExitCode.USAGE


def err(msg: str) -> None:
    print(f"attribtui: {msg}", file=sys.stderr)


def print_json(doc: object) -> None:
    json.dump(doc, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def profile_of(args: argparse.Namespace) -> Profile:
    """The profile the command line selects; its warnings go to stderr (ConfigError: exit 3)."""
    profile = load_profile(getattr(args, "profile", None),
                           config_path=getattr(args, "config", None))
    for warning in profile.warnings:
        err(f"warning: {warning}")
    return profile


def confirm(profile: Profile, plan: ActionPlan, *, yes: bool, typed: str | None) -> None:
    """Go ahead, or raise Refused saying why (one line).

    Nothing prompts when stdin is not a terminal: --yes is required there, and on a production
    or implicit profile also --confirm=PROFILE_NAME (or the plan's own typed text).
    """
    needed = typed_requirement(profile, plan)
    if not yes:
        if not sys.stdin.isatty():
            raise Refused(f"{plan.title}: not confirmed; pass --yes (stdin is not a terminal)")
        _prompt(profile, plan, needed)
        return
    if needed and typed != needed:
        raise Refused(f"{plan.title}: on profile '{profile.name}' ({profile.display_env}) also "
                      f"pass --confirm={needed}")


def _prompt(profile: Profile, plan: ActionPlan, needed: str | None) -> None:
    print("\n".join([plan.title, *where(profile), *[f"  - {e}" for e in plan.effects]]),
          file=sys.stderr)
    if needed:
        ok = input(f"Type {needed!r} to go ahead: ").strip() == needed
    else:
        ok = input("Go ahead? [y/N] ").strip().lower() in ("y", "yes")
    if not ok:
        raise Refused(f"{plan.title}: not confirmed")
