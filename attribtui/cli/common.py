"""What every command shares: the exit-code help, the parser, common flags, messages, the profile,
and the headless confirmation.

Commands raise the vocabulary's errors (`Refused`, `Unreachable`, `UsageError`, ...); main.py
turns them into one stderr line and their exit code, in one place.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeAlias

from attribtui.infra import clock
from attribtui.infra.config import Profile, load_profile, profile_names
from attribtui.infra.redact import db_url_problem, redact_urls_in
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


# The namespace attribute naming the deepest parser that ran, so an unknown flag is matched
# against the flags of the command that was actually given (see Parser, main.py).
PARSER_ATTR = "_attribtui_parser"


class Parser(argparse.ArgumentParser):
    """Every parser and sub-parser: no abbreviated flags (`--y` is not `--yes`, `--no` is not
    `--no-default`), and every error is one line with exit 64 (docs/architecture.md, "Exit
    codes"). Sub-parsers made by add_parser are of this class too (add_subparsers passes
    parser_class=Parser, or defaults to the parent's class)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.set_defaults(**{PARSER_ATTR: self})

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {_with_suggestion(message)}; "
                                  f"see `{self.prog} --help`\n")

    def unknown(self, extras: Sequence[str]) -> NoReturn:
        """Arguments nobody recognised, each flag with the nearest one this command knows."""
        flags = sorted({o for a in self._actions for o in a.option_strings if o.startswith("--")})
        shown = [f"{x}{_nearest(x.split('=', 1)[0], flags)}" if x.startswith("--") else x
                 for x in extras]
        self.error(f"unrecognized arguments: {' '.join(shown)}")


_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)$")


def _with_suggestion(message: str) -> str:
    m = _CHOICE.search(message)
    if not m:
        return message
    choices = re.findall(r"'([^']*)'", m.group(2))
    near = difflib.get_close_matches(m.group(1), choices, n=1)
    return f"{message} (did you mean '{near[0]}'?)" if near else message


def _nearest(flag: str, flags: Sequence[str]) -> str:
    """' (did you mean --yes?)': flags it abbreviates first, else the closest spelling."""
    starts = [f for f in flags if f.startswith(flag)] if len(flag) > 2 else []
    near = starts[:3] or difflib.get_close_matches(flag, flags, n=1)
    return f" (did you mean {' or '.join(near)}?)" if near else ""


# -- argument types: every duration, count and instant is bounded where it is parsed -------------

Convert: TypeAlias = Callable[[str], int]


def duration_arg(limit_s: int) -> Convert:
    """A duration flag (90m, 24h, 7d) of at most limit_s seconds."""
    def duration(text: str) -> int:
        try:
            return clock.parse_duration(text, limit=limit_s)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return duration


def count_arg(low: int, high: int) -> Convert:
    """A whole number from low to high."""
    def count(text: str) -> int:
        s = text.strip()
        if not (s.isascii() and s.isdigit()) or not low <= int(s) <= high:
            raise argparse.ArgumentTypeError(
                f"'{text[:40]}' is not a whole number from {low} to {high}")
        return int(s)

    return count


def instant_arg(text: str) -> int:
    """A time: epoch seconds or ISO-8601 UTC, between 1970 and 2100."""
    try:
        return clock.parse_instant(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def when_arg(text: str) -> int:
    """A time, `now` or an age like 6h (before now), between 1970 and 2100."""
    try:
        return clock.parse_when(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def db_url_arg(text: str) -> str:
    """A database URL that SQLAlchemy can parse; the error never shows the URL or a part of it
    (a password holding an unencoded @ would otherwise show)."""
    problem = db_url_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


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


def driver_reason(e: BaseException) -> str | None:
    """For an error of SQLAlchemy or PyMySQL that no layer translated (a connection lost at an
    odd moment), the driver's one-line reason ("Lost connection to MySQL server during query"),
    never SQLAlchemy's wrapping, which may quote the statement; None for any other error."""
    if type(e).__module__.split(".")[0] not in ("sqlalchemy", "pymysql"):
        return None
    orig = getattr(e, "orig", None) or e
    args: tuple[object, ...] = getattr(orig, "args", ())
    text = str(args[1]) if len(args) > 1 and isinstance(args[0], int) else type(orig).__name__
    return redact_urls_in(text.splitlines()[0] if text.strip() else type(orig).__name__)[:200]


def print_json(doc: object) -> None:
    json.dump(doc, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def profile_of(args: argparse.Namespace) -> Profile:
    """The profile the command line selects; its warnings go to stderr (ConfigError: exit 3).

    `demo`, unless the config file defines a profile of that name, is the embedded demo's: the
    same database, job history and (while `attribtui demo` is open) API as the console's."""
    name = getattr(args, "profile", None) or os.environ.get("ATTRIBTUI_PROFILE")
    config = getattr(args, "config", None)
    if name == "demo" and "demo" not in profile_names(config):
        from attribtui.services import demo  # per command: `attribtui --help` stays fast

        profile = demo.headless_profile()
    else:
        profile = load_profile(name, config_path=config)
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
