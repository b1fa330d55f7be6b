"""`attribtui models list|activate|deactivate|set-default|create|update|delete`:
the v2 model toggles without a screen, the same plans as the console.

Exit codes: 0 done (or nothing to do), 1 refused as invalid and nothing changed (validation, the
default-deactivation trap, not confirmed, read-only), 2 the operation failed (a later step or the
backup), 3 unreachable / 401 / 403 / server error, 64 usage.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from attribtui.cli.common import (
    EXIT_CODES_HELP,
    Parser,
    Sub,
    common_args,
    confirm,
    count_arg,
    err,
    mutation_args,
    print_json,
    profile_of,
    usage,
)
from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.services.actions import refused_in_read_only
from attribtui.vocab import ExitCode, JsonDict, Refused, Unreachable, UsageError

if TYPE_CHECKING:  # loaded per command: `attribtui --help` and first paint stay fast
    from attribtui.infra.api import V2Client
    from attribtui.infra.db import Database
    from attribtui.services.models import ModelAction, ModelList

HELP = EXIT_CODES_HELP.replace("done / all checks ok or info", "done, or nothing to do").replace(
    "warnings or skipped checks; or the request", "the request").replace(
    "fail-level findings, or the operation failed",
    "the operation failed (a later step, or the backup before a delete)")


def register(sub: Sub) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("models", help="list and change attribution models through the v2 API",
                       description="Attribution models through /api/v2/attribution/models. "
                       "Every change states what the API will do (slug rewrites, demotions, "
                       "the default trap) and is confirmed first.",
                       epilog=HELP, formatter_class=fmt)
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", parser_class=Parser)
    p.set_defaults(func=lambda a: usage(p))

    ls = msub.add_parser("list", help="the API's active models plus the ones it hides",
                         epilog=HELP, formatter_class=fmt)
    common_args(ls)
    ls.add_argument("--type", help="only this model type (as the API's ?type= filter)")
    ls.set_defaults(func=cmd_list)

    def action(name: str, help_: str, *, with_id: bool = True) -> argparse.ArgumentParser:
        a = msub.add_parser(name, help=help_, epilog=HELP, formatter_class=fmt)
        common_args(a)
        mutation_args(a)
        if with_id:
            a.add_argument("model_id", type=_model_id, metavar="MODEL_ID")
        a.set_defaults(func=cmd_change, action=name)
        return a

    action("activate", "set is_active true (PATCH; the slug is recomputed)")
    d = action("deactivate", "set is_active false; the default needs --new-default or --no-default")
    group = d.add_mutually_exclusive_group()
    group.add_argument("--new-default", type=_model_id, metavar="ID",
                       help="first make model ID the default (demotes the others)")
    group.add_argument("--no-default", action="store_true",
                       help="also send is_default false: the user is left with no default")
    action("set-default", "make the model the default (every other model is demoted)")
    c = action("create", "create a model (POST)", with_id=False)
    c.add_argument("--name", required=True)
    c.add_argument("--type", required=True, dest="model_type", metavar="TYPE",
                   help="last_touch, time_decay, position_based, algorithmic or assisted")
    c.add_argument("--slug")
    c.add_argument("--default", action="store_true", help="make it the default (demotes others)")
    c.add_argument("--inactive", action="store_true", help="create it inactive")
    _weighting_args(c)
    u = action("update", "edit name and/or weighting (PATCH; the slug is recomputed)")
    u.add_argument("--name")
    u.add_argument("--slug")
    _weighting_args(u)
    u.add_argument("--clear-weighting", action="store_true", help="send weighting_config {}")
    x = action("delete", "delete the model and what goes with it (backed up first)")
    x.add_argument("--backup-cap", type=count_arg(1, MAX_BACKUP_CAP), default=None,
                   metavar="ROWS", help="refuse when the backup would exceed ROWS rows (default "
                   f"500000, at most {MAX_BACKUP_CAP})")


MAX_MODEL_ID = 2**63 - 1  # bigint, as PHP reads it
MAX_BACKUP_CAP = 10_000_000  # rows one JSON backup file may hold


def _model_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_MODEL_ID:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a model id; use a whole number "
                                         f"from 1 to {MAX_MODEL_ID} (see `attribtui models "
                                         "list`)")
    return int(text)


def _weighting_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--half-life", metavar="HOURS", help="time_decay: half_life_hours")
    p.add_argument("--first-weight", metavar="W", help="position_based: first_touch_weight")
    p.add_argument("--last-weight", metavar="W", help="position_based: last_touch_weight")
    p.add_argument("--weighting", metavar="JSON", help='weighting_config as JSON, e.g. {"half_life_hours": 24}')


def _weighting(args: argparse.Namespace, model_type: str) -> Any:
    from attribtui.services.models import weighting_from_fields  # per command: --help stays fast

    if args.weighting is not None:
        try:
            return json.loads(args.weighting)
        except ValueError as e:
            raise UsageError(f"--weighting is not JSON ({e}); e.g. --weighting "
                             "'{\"half_life_hours\": 24}'") from None
    return weighting_from_fields(model_type, half_life=args.half_life, first=args.first_weight,
                                 last=args.last_weight)


def _open(args: argparse.Namespace) -> tuple[Profile, Any, Any, str | None]:
    """The profile, the API client, the database (None when not configured or unusable) and
    why it is unusable."""
    # Loaded per command: `attribtui --help` stays fast.
    from attribtui.infra.api import V2Client
    from attribtui.infra.db import Database, DbError

    profile = profile_of(args)
    db, db_error = None, None
    if profile.db.url:
        try:
            db = Database.from_profile(profile)
        except DbError as e:
            db_error = str(e)
            err(f"warning: {e}; inactive models are not shown")
    return profile, V2Client(profile), db, db_error


def _listing(client: V2Client, db: Database | None, profile: Profile, primary: bool = False) -> ModelList:
    from attribtui.services.models import load_models  # per command: --help stays fast

    return load_models(client, db, user_id=profile.api.user_id, primary=primary, all_users=True)


def cmd_list(args: argparse.Namespace) -> int:
    profile, client, db, _ = _open(args)
    try:
        listing = _listing(client, db, profile)
    finally:
        client.close()
        if db is not None:
            db.close()
    models = [x for x in listing.models if not args.type or x.type == args.type]
    if args.format == "json":
        doc = {"profile": profile.name, **listing.to_json(),
               "models": [x.to_json() for x in models]}
        print_json(doc)
    elif models:  # no header over nothing: the error below is the whole answer
        print(f"{'ID':>5} {'USER':>4}  {'NAME':28} {'TYPE':15} {'WEIGHTING':22} {'ACTIVE':6} "
              f"{'DEFAULT':7} {'SLUG':26} UPDATED")
        for x in models:
            print(f"{x.model_id:>5} {x.user_id:>4}  {x.name[:28]:28} {x.type[:15]:15} "
                  f"{x.weighting_text[:22]:22} "
                  f"{'yes' if x.is_active else 'no':6} {'yes' if x.is_default else 'no':7} "
                  f"{x.slug[:26]:26} {_iso(x.updated_at)}"
                  f"{'  ' + (x.read_only or x.note) if x.read_only or x.note else ''}")
            if x.problem:
                print(f"{'':7}‼ {x.problem}")
    if args.format != "json":
        for note in listing.notes:
            err(f"note: {note}")
        if not models and not listing.api_error:
            print("No models.")
    if listing.db_error:
        err(f"warning: {listing.db_error}")
    if listing.api_error:
        err(listing.api_error)
        return listing.api_exit or ExitCode.UNKNOWN
    return ExitCode.OK


def _iso(t: int) -> str:
    return clock.iso(t) or ""


def _plan(args: argparse.Namespace, client: V2Client, listing: ModelList, db: Database | None
          ) -> ModelAction | None:
    from attribtui.services import models as core  # per command: --help stays fast

    if args.action == "create":
        return core.plan_create(client, listing, name=args.name, model_type=args.model_type,
                                weighting=_weighting(args, args.model_type), slug=args.slug,
                                is_default=args.default, is_active=not args.inactive)
    x = listing.get(args.model_id)
    if x is None:
        return None
    if args.action == "activate":
        return core.plan_activate(client, listing, x)
    if args.action == "deactivate":
        return core.plan_deactivate(client, listing, x, new_default=args.new_default,
                                    no_default=args.no_default)
    if args.action == "set-default":
        return core.plan_set_default(client, listing, x)
    if args.action == "update":
        return core.plan_update(client, listing, x, name=args.name,
                                weighting=_weighting(args, x.type),
                                clear_weighting=args.clear_weighting, slug=args.slug)
    return core.plan_delete(client, listing, x, db, cap=_cap(args))


def _cap(args: argparse.Namespace) -> int:
    from attribtui.services.models import BACKUP_CAP  # per command: --help stays fast

    cap = getattr(args, "backup_cap", None)
    if cap is not None and cap < 1:
        raise UsageError("--backup-cap must be a positive number of rows")
    return cap or BACKUP_CAP


def cmd_change(args: argparse.Namespace) -> int:
    # Loaded per command: `attribtui --help` stays fast.
    from attribtui.infra.db import DbError
    from attribtui.services import models as core
    from attribtui.services.models import execute

    profile, client, db, db_error = _open(args)
    try:
        if not args.dry_run and (why := refused_in_read_only(profile, f"models {args.action}")):
            return _report(args, {"refused": why}, why, ExitCode.WARN)
        listing = _listing(client, db, profile)
        if listing.api_error and args.action != "create" and listing.get(args.model_id) is None:
            return _report(args, {"error": listing.api_error}, listing.api_error,
                           ExitCode.UNKNOWN)
        try:
            action = _plan(args, client, listing, db)
        except DbError as why:
            raise Unreachable(f"models {args.action}: the database could not be read to plan "
                              f"it, nothing was sent: {why}") from None
        unread = listing.db_error or db_error
        if action is None and unread:
            # GET /models lists active models only: without the database an inactive model and
            # a model of another user look the same (docs/prosper202.md, "Models: object, list,
            # validation").
            msg = (f"cannot tell whether model {args.model_id} is a model of user "
                   f"{listing.user_id}: the API lists only active models and the database could "
                   f"not be read ({unread}); nothing was sent")
            return _report(args, {"error": msg}, msg, ExitCode.UNKNOWN)
        if action is None:
            msg = (f"model {args.model_id} is not a model of any user; see `attribtui models "
                   "list`") if db is not None else (
                f"model {args.model_id} is not an active model of the API key's user "
                f"{listing.user_id}; set db.url to reach inactive models and other users' "
                "(see `attribtui models list`)")
            return _report(args, {"refused": msg}, msg, ExitCode.WARN)
        doc: JsonDict = {"action": args.action, "dry_run": args.dry_run,
                               "plan": {"title": action.plan.title,
                                        "effects": action.plan.effects,
                                        "requests": [r.shown for r in action.requests],
                                        "changes": [c.to_json() for c in action.changes],
                                        "rebuild_needed": action.rebuild is not None}}
        if action.noop:
            return _report(args, {**doc, "noop": action.noop}, action.noop, ExitCode.OK)
        if action.refused:
            doc.update(refused=action.refused, server_message=action.server_message)
            return _report(args, doc, f"refused: {action.refused}", ExitCode.WARN)
        owner = action.model
        by_hand = core.commands(action, owner.user_id) if owner and owner.read_only else []
        if by_hand:
            doc["plan"]["commands"] = by_hand
        if args.dry_run:
            if args.format != "json":
                print(action.plan.title)
                for e in action.plan.effects:
                    print(f"  - {e}")
                for s in action.requests:
                    print(s.shown)
                if owner and by_hand:
                    print(f"{owner.read_only}; run with user {owner.user_id}'s key in "
                          f"${core.key_variable(owner.user_id)}:", *by_hand, sep="\n  ")
                if action.rebuild:
                    print("then rebuild:", *action.rebuild.commands(profile), sep="\n  ")
                return ExitCode.OK
            doc["rebuild"] = action.rebuild.commands(profile) if action.rebuild else []
            return _report(args, doc, "", ExitCode.OK)
        if owner and by_hand:
            if args.format != "json":
                print(f"Run with user {owner.user_id}'s key in "
                      f"${core.key_variable(owner.user_id)}:", *by_hand, sep="\n  ")
            return _report(args, {**doc, "refused": owner.read_only},
                           f"refused: {owner.read_only}; nothing was sent", ExitCode.WARN)
        try:
            confirm(profile, action.plan, yes=args.yes, typed=args.confirm)
        except Refused as e:
            return _report(args, {**doc, "refused": str(e)}, f"refused: {e}", ExitCode.WARN)
        acting = core.client_for(profile, owner.user_id, listing.user_id) if owner else None
        try:
            out = execute(action, acting or client, profile, db, cap=_cap(args))
        finally:
            if acting is not None:
                acting.close()
        doc.update(ok=out.ok, outcome=out.outcome, message=out.message, model=out.model_after,
                   backup=str(out.backup) if out.backup else None,
                   rebuild=out.rebuild_commands, no_rebuild=action.no_rebuild or None)
        if args.format != "json":
            if out.ok:
                print(out.message)
            else:
                err(out.message)
            if out.ok and out.rebuild_commands and action.rebuild:
                print(f"Rebuild the affected window ({action.rebuild.why}):")
                for c in out.rebuild_commands:
                    print(f"  {c}")
            elif out.ok and action.no_rebuild:
                print(action.no_rebuild[0].upper() + action.no_rebuild[1:] + ".")
            return out.exit_code
        return _report(args, doc, "" if out.ok else out.message, out.exit_code)
    finally:
        client.close()
        if db is not None:
            db.close()


def _report(args: argparse.Namespace, doc: JsonDict, message: str, code: int) -> int:
    """JSON on stdout with --json; messages on stderr (a plain "nothing to do" on stdout)."""
    if args.format == "json":
        print_json(doc)
        if message and code:
            err(message)
    elif message and code:
        err(message)
    elif message:
        print(message)
    return code
