"""`attribtui rollback [--resume [ID]]` opens the guided rollback (screen 5);
`rollback list` and `rollback show ID` print walkthroughs without a screen."""

from __future__ import annotations

import argparse

from attribtui.cli.common import EXIT_CODES_HELP, Sub, common_args, print_json, profile_of
from attribtui.cli.console import open_console
from attribtui.infra import clock
from attribtui.vocab import ExitCode, Refused


def register(sub: Sub) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "rollback", help="guided rollback walkthrough (mitigate, purge, backfill, rebuild, verify), resumable",
        description="Opens the console on the Rollback screen (5): mitigate the bad model, purge "
        "and backfill the polluted journeys, rebuild the affected hours, verify, review the audit "
        "trail and write the incident report. Every step is confirmed and recorded; the state is "
        "saved after each one under the data dir (see `attribtui paths`: rollbacks).",
        epilog=EXIT_CODES_HELP, formatter_class=fmt)
    common_args(p, fmt=False)
    p.add_argument("--resume", nargs="?", const="latest", metavar="ID",
                   help="resume a walkthrough (default: the latest active one of the profile)")
    p.set_defaults(func=cmd_open)
    rsub = p.add_subparsers(dest="rollback_action", metavar="ACTION")
    lst = rsub.add_parser("list", help="walkthroughs, newest first", epilog=EXIT_CODES_HELP,
                          formatter_class=fmt)
    common_args(lst)
    lst.set_defaults(func=cmd_list)
    show = rsub.add_parser("show", help="one walkthrough: incident and steps",
                           epilog=EXIT_CODES_HELP, formatter_class=fmt)
    common_args(show)
    show.add_argument("id", help="walkthrough id (see `attribtui rollback list`)")
    show.set_defaults(func=cmd_show)


def cmd_open(args: argparse.Namespace) -> int:
    from attribtui.services.rollback import latest_active, load_state  # per command

    profile = profile_of(args)
    wanted = None
    if args.resume:
        wt = latest_active(profile.name) if args.resume == "latest" else load_state(args.resume)
        if wt is None:
            raise Refused(f"no active walkthrough on profile '{profile.name}'; start one on "
                          "screen 5 (`attribtui rollback`) or see `attribtui rollback list`")
        if wt.profile != profile.name:
            raise Refused(f"walkthrough {wt.id} belongs to profile '{wt.profile}'; "
                          f"pass --profile {wt.profile}")
        wanted = wt.id
    return open_console(profile, start_screen="rollback", rollback_id=wanted)


def cmd_list(args: argparse.Namespace) -> int:
    from attribtui.services.rollback import list_states  # per command: --help stays fast

    states = list_states(getattr(args, "profile", None))
    if args.format == "json":
        print_json([wt.to_json() for wt in states])
        return ExitCode.OK
    if not states:
        print("No rollback walkthroughs yet (start one with `attribtui rollback`).")
    for wt in states:
        print(f"{clock.iso(wt.started_at)}  {wt.profile:<12} {wt.summary_line()}")
    return ExitCode.OK


def cmd_show(args: argparse.Namespace) -> int:
    from attribtui.services.rollback import load_state  # per command: --help stays fast

    wt = load_state(args.id)
    if args.format == "json":
        print_json(wt.to_json())
        return ExitCode.OK
    inc = wt.incident
    print(f"Walkthrough {wt.id} ({wt.status}) on profile {wt.profile} ({wt.environment}), "
          f"started {clock.iso(wt.started_at)} by {wt.operator} on {wt.host}")
    print(f"Incident: {inc.describe()}; mitigation {inc.mitigation}"
          + (f" (safe model {inc.safe_model_id})" if inc.safe_model_id else "")
          + (f"; note: {inc.note}" if inc.note else ""))
    for s in wt.steps:
        print(f"{s.number:<3} {s.id:<9} {s.status.symbol} {s.status:<11} "
              f"{s.result or s.reason or ''}")
    return ExitCode.OK
