"""Before a purge or a restore writes anything: the privileges, then the one-operator lock.

A database user without DELETE must be found out before the backup is written and the lock
taken (docs/architecture.md, "Promise 2" and "Promise 8"). A lock that cannot be taken is one
line with its exit code (held: refused, 1; database gone: 3); one that vanishes mid-way stops
the work before its next batch (`Lock.ensure`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from attribtui.infra import locks
from attribtui.infra.db import Database


@contextlib.contextmanager
def locked(db: Database, action: str, needs: Sequence[tuple[str, str]],
           what: str) -> Iterator[locks.Lock]:
    """Check the privileges (DbDenied, exit 3), then hold the lock for the block."""
    db.require_privileges(needs, what)
    with locks.acquire(db.url, action) as lock:
        yield lock
