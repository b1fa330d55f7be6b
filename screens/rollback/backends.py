"""The Rollback screen's Database and V2Client: opened once, on first use in a worker thread,
and closed with the screen."""

from __future__ import annotations

import threading

from attribtui.infra.api import V2Client
from attribtui.infra.config import Profile
from attribtui.infra.db import Database
from attribtui.services import rollback as rb


class Backends:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._lock = threading.Lock()  # two workers may ask at once
        self._opened: tuple[Database | None, V2Client | None] | None = None

    def get(self) -> tuple[Database | None, V2Client | None]:
        with self._lock:
            if self._opened is None:
                self._opened = rb.open_backends(self.profile)
            return self._opened

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, None
        if opened is not None:
            db, client = opened
            if db is not None:
                db.close()
            if client is not None:
                client.close()
