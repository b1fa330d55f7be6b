"""A followed job's output, handed from the follower thread to a screen as `JobOutput` messages.

The follower reads about 20 batches a second. While the screen has not yet handled the last
message, new batches are merged into it instead of queueing more: a busy screen gets fewer,
larger batches and never falls behind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from textual.message import Message
from textual.message_pump import MessagePump

from attribtui.services.jobs import parse
from attribtui.services.jobs.runner import Snapshot


@dataclass
class JobOutput(Message, bubble=False):
    """Lines read since the last message (at most the poster's `keep` newest), how many lines
    that was in all, and the progress after them."""

    poster: JobOutputPoster
    lines: list[parse.LineEvent]
    count: int
    snapshot: Snapshot


@dataclass
class JobOutputPoster:
    """The follower's `on_batch`: posts `JobOutput` to `target`, merging while one is queued.

    The handler calls `taken(message)` first; after that the thread leaves the message alone.
    """

    target: MessagePump
    keep: int
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _queued: JobOutput | None = None

    def __call__(self, lines: list[parse.LineEvent], snapshot: Snapshot) -> None:
        with self._lock:
            queued = self._queued
            if queued is not None:
                queued.lines.extend(lines)
                del queued.lines[:-self.keep]
                queued.count += len(lines)
                queued.snapshot = snapshot
                return
            message = JobOutput(self, list(lines[-self.keep:]), len(lines), snapshot)
            self._queued = message
        self.target.post_message(message)

    def taken(self, message: JobOutput) -> None:
        with self._lock:
            if self._queued is message:
                self._queued = None
