"""`attribtui rollback [--resume [ID]]` opens the guided rollback (screen 5);
`rollback list` and `rollback show ID` print walkthroughs without a screen."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from attribtui.cli.common import (
    EXIT_CODES_HELP,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_WARN,
    common_args,
    err,
    load_profile_or_none,
)


def register(sub: argparse._SubParsersAction, sandbox: argparse._SubParsersAction) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "rollback", help="guided rollback walkthrough (runbook section 6), resumable",
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
    from attribtui.services.rollback import RollbackError, latest_active, load_state

    profile = load_profile_or_none(args)
    if profile is None:
        return EXIT_UNKNOWN
    wanted = None
    if args.resume:
        try:
            state = (latest_active(profile.name) if args.resume == "latest"
                     else load_state(args.resume))
        except RollbackError as e:
            err(f"refused: {e}")
            return EXIT_WARN
        if state is None:
            err(f"refused: no active walkthrough on profile '{profile.name}'; start one on "
                "screen 5 (`attribtui rollback`) or see `attribtui rollback list`")
            return EXIT_WARN
        if state["profile"] != profile.name:
            err(f"refused: walkthrough {state['id']} belongs to profile '{state['profile']}'; "
                f"pass --profile {state['profile']}")
            return EXIT_WARN
        wanted = state["id"]
    from screens.rollback import open_console

    return open_console(profile, wanted)


def _states(args: argparse.Namespace) -> list[dict[str, Any]]:
    from attribtui.services.rollback import list_states

    return list_states(getattr(args, "profile", None))


def cmd_list(args: argparse.Namespace) -> int:
    from attribtui.infra import clock
    from attribtui.services.rollback import summary_line

    states = _states(args)
    if args.format == "json":
        json.dump(states, sys.stdout, indent=2, default=str)
        print()
        return EXIT_OK
    if not states:
        print("No rollback walkthroughs yet (start one with `attribtui rollback`).")
    for s in states:
        print(f"{clock.iso(s['started_at'])}  {s['profile']:<12} {summary_line(s)}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from attribtui.infra import clock
    from attribtui.services.rollback import SYMBOLS, RollbackError, incident_of, load_state

    try:
        state = load_state(args.id)
    except RollbackError as e:
        err(f"refused: {e}")
        return EXIT_WARN
    if args.format == "json":
        json.dump(state, sys.stdout, indent=2, default=str)
        print()
        return EXIT_OK
    inc = incident_of(state)
    print(f"Walkthrough {state['id']} ({state['status']}) on profile {state['profile']} "
          f"({state['environment']}), started {clock.iso(state['started_at'])} by "
          f"{state['operator']} on {state['host']}")
    print(f"Incident: {inc.describe()}; mitigation {inc.mitigation}"
          + (f" (safe model {inc.safe_model_id})" if inc.safe_model_id else "")
          + (f"; note: {inc.note}" if inc.note else ""))
    for s in state["steps"]:
        tail = s.get("result") or s.get("reason") or ""
        print(f"{s['number']:<3} {s['id']:<9} {SYMBOLS[s['status']]} {s['status']:<11} {tail}")
    return EXIT_OK
