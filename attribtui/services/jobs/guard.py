"""Deleting the rebuild's duplicate-window guard row (docs/prosper202.md, "attribution-rebuild.php"):
the facts' second choice when a rebuild would skip its window.

After an error around the commit the truth is re-read on a fresh connection, and the caller and
the action log are told what really happened: deleted (the reply was lost), untouched (the error,
with that fact), or unknown, with the read that settles it (docs/architecture.md, "Statuses").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from attribtui.infra import actionlog, clock
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError, DbUnreachable, ReadOnlyError
from attribtui.prosper import tables as pt
from attribtui.services.actions import ActionPlan
from attribtui.vocab import JsonDict


class GuardDeleteUnknown(DbUnreachable):
    """The delete was sent but its outcome could not be read back (exit 3): settle it by hand."""


@dataclass(frozen=True)
class GuardDeletion:
    """What really happened to the guard row: rows deleted, and how that is known."""

    rows: int
    note: str = ""  # set when the reply was lost and a re-read found the row gone


def guard_delete_plan(hour: int) -> ActionPlan:
    return ActionPlan(
        title=f"Delete the rebuild guard row for {clock.iso(hour)}",
        effects=[f"DELETE the ('attr', {hour}) row from 202_cronjobs, so the next rebuild whose "
                 "--end falls in that hour runs instead of skipping",
                 "If that hour's scheduled run has not happened yet, it will run as well"],
        request=f"DELETE FROM 202_cronjobs WHERE cronjob_type = 'attr' AND cronjob_time = {hour}",
    )


def guard_count_sql(hour: int) -> str:
    """The read that settles whether the guard row of `hour` is there (0: it is gone)."""
    return (f"SELECT COUNT(*) FROM `{pt.cronjobs.name}` WHERE cronjob_type = 'attr' AND "
            f"cronjob_time = {int(hour)}")


def delete_guard_row(profile: Profile, hour: int, db: Database | None = None) -> int:
    """Delete one guard row (confirmed by the caller); the rows deleted. Logged."""
    return delete_guard(profile, hour, db).rows


def delete_guard(profile: Profile, hour: int, db: Database | None = None) -> GuardDeletion:
    """Delete the guard row of `hour` and say what really happened (see the module doc).

    Before anything is sent: a read-only profile or a missing DELETE privilege is refused, and
    a row already gone is reported as such. Those errors are raised as they are.
    """
    own = db is None
    db = db or Database.from_profile(profile)
    target = f"202_cronjobs attr {hour}"
    params: JsonDict = {"hour": hour, "hour_iso": clock.iso(hour)}
    try:
        try:
            db.require_privileges([("DELETE", pt.cronjobs.name)], "deleting the rebuild guard row")
            before = int(db.scalar(guard_count_sql(hour), primary=True) or 0)
        except DbError as e:
            _log(profile, target, params, f"not deleted: {e}")
            raise
        if before == 0:
            _log(profile, target, params, "0 row(s): none was there")
            return GuardDeletion(0, f"the guard row ('attr', {hour}) was already gone")
        try:
            n = db.write(lambda c: c.execute(text(
                f"DELETE FROM `{pt.cronjobs.name}` WHERE cronjob_type = 'attr' AND "
                "cronjob_time = :h"), {"h": hour}).rowcount, what="deleting the rebuild guard row")
        except ReadOnlyError as e:
            _log(profile, target, params, f"not deleted: {e}")
            raise
        except DbError as e:
            return _settle(profile, hour, e, target, params)
    finally:
        if own:
            db.close()
    _log(profile, target, params, f"{n} row(s)")
    return GuardDeletion(int(n))


def _settle(profile: Profile, hour: int, e: DbError, target: str, params: JsonDict
            ) -> GuardDeletion:
    """Re-read on a fresh connection what the failed delete really did."""
    what = f"the guard row ('attr', {hour})"
    settle = guard_count_sql(hour)
    fresh = Database.from_profile(profile)
    try:
        left = int(fresh.scalar(settle, primary=True) or 0)
    except DbError as e2:
        _log(profile, target, params, f"unknown: {e}; re-reading failed: {e2}; settle with: "
             f"{settle}")
        raise GuardDeleteUnknown(
            f"{what} may or may not be deleted: {e}; re-reading it failed too ({e2}); settle it "
            f"with: {settle} (0: deleted, otherwise untouched)") from None
    finally:
        fresh.close()
    if left == 0:
        note = f"the reply was lost ({e}); a re-read on a fresh connection finds the row gone"
        _log(profile, target, params, f"deleted: {note}")
        return GuardDeletion(1, note)
    _log(profile, target, params, f"not deleted: {e}; a re-read on a fresh connection still "
         f"finds {left} row(s)")
    raise type(e)(f"{what} was not deleted: {e}; a re-read on a fresh connection still finds it: "
                  "nothing changed") from None


def _log(profile: Profile, target: str, params: JsonDict, result: str) -> None:
    actionlog.record("job.guard.delete", profile=profile, target=target, params=params,
                     result=result)
