"""What the lookup and cache workers report to the Journeys screen."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from attribtui.services.journeys import JourneyReport
from attribtui.services.journeys import cache as journey_cache


@dataclass
class JourneysFound(Message, bubble=False):
    """The stored journeys (two indexed reads); recomputation, credits and cache follow."""

    reports: list[JourneyReport]
    note: str  # what a reverse lookup found, for the summary line


@dataclass
class JourneysEnriched(Message, bubble=False):
    """Reports filled in since the last batch (in place); done: the lookup is over."""

    batch: list[JourneyReport]
    done: bool = False


@dataclass
class LookupFailed(Message, bubble=False):
    message: str  # redacted


@dataclass
class CacheEvicted(Message, bubble=False):
    report: JourneyReport
    state: journey_cache.CacheState
