"""What the fleet worker reports to the Fleet screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # first paint: the fleet service (and SQLAlchemy) load in the worker
    from attribtui.services.fleet import ProfileRun
    from attribtui.services.profiles import Selected


@dataclass
class FleetListed(Message, bubble=False):
    """The profiles of the config, with each one's last saved run (None: never checked)."""

    profiles: list[Selected]
    saved: dict[str, ProfileRun]
    initial: bool = False  # the first listing: the first refresh starts when it is shown


@dataclass
class FleetRowDone(Message, bubble=False):
    """One profile's fresh row, as soon as it is final."""

    row: ProfileRun
    at: int  # when it was checked (epoch seconds)


@dataclass
class FleetRefreshed(Message, bubble=False):
    """A refresh is over (error: why it could not start, e.g. a config that no longer loads)."""

    elapsed_s: float
    error: str | None = None
