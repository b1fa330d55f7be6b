"""`attribtui` (the console on the default profile) and `attribtui demo` (on the embedded demo).

The CLI is the layer above the screens: only here does a command open the Textual console, and
only when it does is Textual imported, so headless commands never load it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from attribtui.cli.common import Sub
from attribtui.infra.config import (
    ConfigError,
    Profile,
    default_profile_name,
    find_config,
    load_profile,
    profile_names,
)
from attribtui.vocab import Refused, UsageError

Progress = Callable[[str, float], None]
Prepare = Callable[[Progress], str | None]


def register(sub: Sub) -> None:
    p = sub.add_parser("demo", help="open the console on the embedded demo (SQLite sandbox)",
                       description="Seed (or reuse) the demo database under the data dir and open "
                       "the console on it with a `demo` profile. The demo is reseeded when older "
                       "than 6 h, since its findings are relative to when it was seeded.")
    p.add_argument("--reset", action="store_true", help="reseed the demo database now")
    p.add_argument("--incident", metavar="NAME",
                   help="stage a drill instead of the demo's findings: a scripted incident the "
                   "guided rollback takes from first finding to a clean verify (jobs fail on the "
                   "way, as real ones do); `--incident list` names them")
    p.add_argument("--pace", type=pace_arg, default=0.0, metavar="SECONDS",
                   help="the demo's jobs wait this long after each batch or user (at most 60), "
                   "so cancel and re-attach can be practised; headless "
                   "commands with --profile demo run their jobs at the same pace")
    p.set_defaults(func=cmd_demo)


def pace_arg(text: str) -> float:
    # Loaded here: the stand-ins' package loads SQLAlchemy, and `attribtui --help` stays fast.
    from attribtui.sandbox.cron.pace import parse

    try:
        return parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).replace("--pace=", "", 1)) from None


def open_console(profile: Profile | None, *, prepare: Prepare | None = None,
                 config_error: str | None = None, start_screen: str | None = None,
                 rollback_id: str | None = None) -> int:
    """Open the console (Textual is imported here, and only here)."""
    from screens.app import Start, run_console

    return run_console(profile, prepare=prepare, config_error=config_error,
                       start=Start(start_screen, rollback_id))


def cmd_console(args: argparse.Namespace) -> int:
    """No command: the console on the default profile, or a screen explaining how to set one up."""
    profile, error, start = None, None, None
    try:
        if find_config(args.config) or os.environ.get("ATTRIBTUI_DB_URL") or args.profile:
            profile = load_profile(args.profile or _fleet_default(args.config),
                                   config_path=args.config)
            if _fleet_first(args, profile):
                start = "fleet"
    except ConfigError as e:
        error = str(e)
    return open_console(profile, config_error=error, start_screen=start)


def _fleet_default(config: str | None) -> str | None:
    """With several profiles and no default_profile the console still opens, on the first
    profile and the Fleet screen (which names the profile in its header), rather than an error:
    picking a deployment is what that screen is for. None: the usual choice applies."""
    if find_config(config) is None or default_profile_name(config) is not None:
        return None
    return profile_names(config)[0]


def _fleet_first(args: argparse.Namespace, profile: Profile) -> bool:
    """Several profiles and none named: the console opens on the Fleet screen."""
    if args.profile or os.environ.get("ATTRIBTUI_PROFILE") or profile.config_path is None:
        return False
    return len(profile_names(profile.config_path)) > 1


def check_drill(name: str) -> None:
    """`list` prints the drills; any other name must be one of them (UsageError, exit 64)."""
    from attribtui.sandbox.drills import DRILLS

    if name == "list":
        for drill in DRILLS.values():
            print(f"{drill.name:<14} {drill.title}")
    elif name not in DRILLS:
        raise UsageError(f"--incident: no drill named {name!r}; choose from {', '.join(DRILLS)} "
                         "(`attribtui demo --incident list`)")


def cmd_demo(args: argparse.Namespace) -> int:
    from attribtui.services import demo  # per command: `attribtui --help` stays fast

    if args.incident is not None:  # the registry loads SQLAlchemy: only for a drill (first paint)
        check_drill(args.incident)
        if args.incident == "list":
            return 0
    path = demo.db_path()
    busy = demo.busy_reason()
    if (args.reset or args.incident) and busy:
        raise Refused(f"not reseeding the demo now: {busy}; `attribtui demo` reopens it as it "
                      "is, to resume")
    profile = demo.profile(path, pace=args.pace)
    port = demo.api_port(profile)

    def prepare(progress: Progress) -> str | None:
        """In a worker after the first paint: reuse or seed the demo, then serve its v2 API;
        returns the drill's briefing when the demo holds one."""
        progress("checking the demo database", 0.0)
        reason = demo.needs_seed(path, reset=args.reset, drill=args.incident)
        if reason:
            progress(f"seeding the demo database ({reason})", 0.0)
            demo.reseed(path, progress, drill=args.incident)
        progress("starting the v2 API emulator", 1.0)
        demo.start_api(path, port)
        demo.save_console(port, args.pace)  # for `--profile demo` in another terminal
        return demo.briefing(path)

    try:
        return open_console(profile, prepare=prepare)
    finally:
        demo.clear_console()
