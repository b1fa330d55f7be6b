"""The purge backup file: written whole or not at all, verified before a restore trusts it.

Destructive actions save what they remove first (docs/architecture.md, "Promise 2"). A backup
that a lost connection cut short must never be replayed as if whole: restore replaces every
listed conversion's rows, so a missing row is a deleted journey. Hence, version 2:

  line 1     header: kind, version, who, where, table, columns, conv_ids (every selected
             conversion, with or without rows), and the caller's extra fields
  lines 2..  {"table": ..., "row": {column: int}}, one touchpoint row each
  last line  trailer: {"kind": END_KIND, "rows": n, "counts": {conv_id: n}, "sha256": hex},
             the checksum of every byte before the trailer

It is written under a hidden `.…partial` name in backups/, fsynced, and linked to its final
name only after the trailer; any failure removes the partial file. `load` streams a file under
byte and line caps and refuses (one line) a file that is not whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from attribtui.infra import actionlog, clock, paths
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, in_clause
from attribtui.services.purge.common import (
    COLUMNS,
    MAX_BACKUP_BYTES,
    MAX_BACKUP_ROWS,
    MAX_LINE_BYTES,
    TOUCHPOINTS,
    PurgeRefused,
    Row,
    chunks,
    mib,
)
from attribtui.vocab import JsonDict

BACKUP_KIND = "attribtui-purge-backup"
END_KIND = "attribtui-purge-backup-end"
VERSION = 2
READ_CHUNK = 200  # conversions per backup read


def backups_dir() -> Path:
    return paths.folder("backups")


# -- writing ---------------------------------------------------------------------------------------


class BackupWriter:
    """Lines into a hidden partial file, hashed as they go; `path` is set once it is published."""

    def __init__(self, fh: IO[bytes], conv_ids: Sequence[int]) -> None:
        self._fh = fh
        self._digest = hashlib.sha256()
        self.conv_ids = list(conv_ids)
        self.counts: dict[int, int] = dict.fromkeys(self.conv_ids, 0)
        self.rows = 0
        self.size = 0
        self.sha256 = ""
        self.path: Path | None = None

    def _line(self, doc: JsonDict, *, hashed: bool = True) -> None:
        data = (json.dumps(doc) + "\n").encode()
        if hashed:
            self._digest.update(data)
        self._fh.write(data)
        self.size += len(data)

    def header(self, doc: JsonDict) -> None:
        self._line(doc)

    def row(self, row: Row) -> None:
        if row[1] not in self.counts:
            raise PurgeRefused(f"conversion {row[1]} is not in this backup's list")
        self._line({"table": TOUCHPOINTS, "row": dict(zip(COLUMNS, row, strict=True))})
        self.rows += 1
        self.counts[row[1]] += 1

    def trailer(self) -> None:
        self.sha256 = self._digest.hexdigest()
        self._line({"kind": END_KIND, "rows": self.rows,
                    "counts": {str(c): n for c, n in self.counts.items()},
                    "sha256": self.sha256}, hashed=False)
        self._fh.flush()
        os.fsync(self._fh.fileno())


@contextlib.contextmanager
def writing(kind: str, profile: Profile, conv_ids: Sequence[int]) -> Iterator[BackupWriter]:
    """A backup being written; published (trailer, fsync, link to `<stem>-<n>.jsonl`) when the
    block ends normally, removed when it raises: no partial file is left where restore looks."""
    folder = backups_dir()
    stem = f"{kind}-{paths.stamp(clock.iso(clock.now()) or '')}-{profile.name}"
    tmp, fd = _exclusive(folder, f".{stem}", ".partial")
    published = False
    try:
        with os.fdopen(fd, "wb") as fh:
            writer = BackupWriter(fh, conv_ids)
            yield writer
            writer.trailer()
        writer.path = _publish(tmp, folder, stem)
        published = True
    finally:
        if not published:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _exclusive(folder: Path, stem: str, suffix: str) -> tuple[Path, int]:
    """A new 0600 file no one else has (O_EXCL), and its descriptor."""
    paths.private_dirs(folder)
    n = 0
    while True:
        path = folder / f"{stem}-{n}{suffix}"
        try:
            return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            n += 1


def _publish(tmp: Path, folder: Path, stem: str) -> Path:
    """Give the finished file its final name without replacing anyone's (link is atomic)."""
    n = 0
    while True:
        final = folder / f"{stem}-{n}.jsonl"
        try:
            os.link(tmp, final)
            break
        except FileExistsError:
            n += 1
    tmp.unlink()
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the new name survives a crash too
    finally:
        os.close(dir_fd)
    return final


def header(kind: str, profile: Profile, db: Database, conv_ids: Sequence[int],
           extra: JsonDict) -> JsonDict:
    now = clock.now()
    return {"kind": kind, "version": VERSION, "created_at": now, "created_at_iso": clock.iso(now),
            "operator": actionlog.operator(profile.operator), "profile": profile.name,
            "environment": profile.environment, "database": db.label, "table": TOUCHPOINTS,
            "columns": list(COLUMNS), "conv_ids": list(conv_ids), **extra}


def read_rows(db: Database, conv_ids: Sequence[int]) -> Iterator[Row]:
    """Every touchpoint row of conv_ids, read in bounded chunks on the primary.

    PurgeRefused past MAX_BACKUP_ROWS: a backup larger than that would not be read back.
    """
    seen = 0
    for chunk in chunks(list(conv_ids), READ_CHUNK):
        room = MAX_BACKUP_ROWS - seen
        sql, params = in_clause("c", chunk)
        rows = db.read(f"SELECT {', '.join(COLUMNS)} FROM `{TOUCHPOINTS}` WHERE conv_id IN ({sql}) "
                       f"ORDER BY conv_id, position, touchpoint_id LIMIT {room + 1}", params,
                       primary=True)
        if len(rows) > room:
            raise PurgeRefused(f"more than {MAX_BACKUP_ROWS} touchpoint rows for these "
                               "conversions (the backup's limit); narrow the selection. Nothing "
                               "was changed")
        seen += len(rows)
        for r in rows:
            yield tuple(int(v) for v in r)


def write_rows(db: Database, w: BackupWriter) -> dict[int, list[Row]]:
    """Copy every touchpoint row of the writer's conversions into it; conv_id -> rows written.

    A DbError or PurgeRefused propagates, and `writing` removes the partial file.
    """
    written: dict[int, list[Row]] = {}
    for row in read_rows(db, w.conv_ids):
        w.row(row)
        written.setdefault(row[1], []).append(row)
    return written


@dataclass
class Taken:
    """A published backup: where, its rows by conversion, and its checksum."""

    path: Path
    rows: dict[int, list[Row]]
    sha256: str

    @property
    def row_count(self) -> int:
        return sum(len(v) for v in self.rows.values())


def take(db: Database, profile: Profile, kind: str, conv_ids: Sequence[int],
         extra: JsonDict) -> Taken:
    """Back up every touchpoint row of conv_ids to a new, whole, verified-on-read file."""
    with writing(kind, profile, conv_ids) as w:
        w.header(header(BACKUP_KIND, profile, db, conv_ids, extra))
        rows = write_rows(db, w)
    assert w.path is not None  # set when `writing` published it
    return Taken(w.path, rows, w.sha256)


# -- reading ---------------------------------------------------------------------------------------


@dataclass
class Backup:
    """A backup file read whole and verified against its trailer."""

    path: Path
    header: JsonDict
    rows: list[Row]
    sha256: str
    conv_ids: list[int] = field(default_factory=list)

    def by_conv(self) -> dict[int, list[Row]]:
        out: dict[int, list[Row]] = {c: [] for c in self.conv_ids}
        for r in self.rows:
            out[r[1]].append(r)
        return out

    def row_dicts(self) -> list[dict[str, int]]:
        return [dict(zip(COLUMNS, r, strict=True)) for r in self.rows]


def _refuse(path: Path, reason: str) -> PurgeRefused:
    return PurgeRefused(f"{path} cannot be restored: {reason}; nothing was changed")


def _lines(path: Path, fh: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """The file's lines, streamed under the line and total byte caps."""
    total, n = 0, 0
    while line := fh.readline(MAX_LINE_BYTES + 1):
        n += 1
        if len(line) > MAX_LINE_BYTES:
            raise _refuse(path, f"line {n} is longer than {mib(MAX_LINE_BYTES)}, the limit for a "
                          "line of a purge backup")
        total += len(line)
        if total > MAX_BACKUP_BYTES:
            raise _refuse(path, f"it is larger than {mib(MAX_BACKUP_BYTES)}, the limit for a "
                          "purge backup")
        yield n, line


def _json(path: Path, n: int, raw: bytes) -> JsonDict:
    try:
        doc = json.loads(raw)
    except ValueError:
        raise _refuse(path, f"line {n} is not JSON (damaged)") from None
    if not isinstance(doc, dict):
        raise _refuse(path, f"line {n} is not a JSON object (damaged)")
    return doc


def _ints(values: object) -> bool:
    return isinstance(values, list) and all(type(v) is int and v > 0 for v in values)


def _check_header(path: Path, doc: JsonDict) -> list[int]:
    if doc.get("kind") != BACKUP_KIND or doc.get("table") != TOUCHPOINTS:
        raise _refuse(path, "it is not an attribtui purge backup")
    if doc.get("version") != VERSION:
        raise _refuse(path, f"it is a version {doc.get('version')} backup without a trailer and "
                      "checksum, so it cannot be verified as whole")
    conv_ids = doc.get("conv_ids")
    if doc.get("columns") != list(COLUMNS) or not _ints(conv_ids):
        raise _refuse(path, "its header is damaged (columns or conv_ids)")
    assert isinstance(conv_ids, list)
    return [int(c) for c in conv_ids]


def _row(path: Path, n: int, doc: JsonDict, conv_ids: set[int]) -> Row:
    row = doc.get("row")
    if (doc.get("table") != TOUCHPOINTS or not isinstance(row, dict) or set(row) != set(COLUMNS)
            or not all(type(row[c]) is int and row[c] >= 0 for c in COLUMNS)):
        raise _refuse(path, f"line {n} is not a touchpoint row (damaged)")
    if row["conv_id"] not in conv_ids:
        raise _refuse(path, f"line {n} holds conversion {row['conv_id']}, which the header "
                      "does not list (damaged)")
    return tuple(int(row[c]) for c in COLUMNS)


def _parse(path: Path, fh: IO[bytes]) -> Backup:
    digest = hashlib.sha256()
    head: JsonDict | None = None
    conv_ids: list[int] = []
    known: set[int] = set()
    rows: list[Row] = []
    trailer: JsonDict | None = None
    last = 0
    for n, raw in _lines(path, fh):
        last = n
        if trailer is not None:
            if raw.strip():
                raise _refuse(path, f"line {n} comes after the trailer (damaged)")
            continue
        if not raw.strip():
            raise _refuse(path, f"line {n} is blank (damaged)")  # the writer writes none
        doc = _json(path, n, raw)
        if head is None:
            head, conv_ids = doc, _check_header(path, doc)
            known = set(conv_ids)
        elif doc.get("kind") == END_KIND:
            trailer = doc
            continue
        else:
            rows.append(_row(path, n, doc, known))
            if len(rows) > MAX_BACKUP_ROWS:
                raise _refuse(path, f"it holds more than {MAX_BACKUP_ROWS} rows, the limit for a "
                              "purge backup")
        digest.update(raw)
    if head is None:
        raise _refuse(path, "it is empty, not a purge backup")
    if trailer is None:
        raise _refuse(path, f"it is incomplete: it ends after line {last} without its trailer "
                      f"(the backup was cut short; it holds {len(rows)} row(s) for "
                      f"{len({r[1] for r in rows})} of {len(conv_ids)} conversion(s))")
    _check_trailer(path, trailer, rows, conv_ids, digest.hexdigest())
    return Backup(path, head, rows, digest.hexdigest(), conv_ids)


def _check_trailer(path: Path, trailer: JsonDict, rows: list[Row], conv_ids: list[int],
                   sha256: str) -> None:
    counts: dict[str, int] = {str(c): 0 for c in conv_ids}
    for r in rows:
        counts[str(r[1])] += 1
    if trailer.get("rows") != len(rows):
        raise _refuse(path, f"it holds {len(rows)} row(s) but its trailer says "
                      f"{trailer.get('rows')} (damaged)")
    if trailer.get("counts") != counts:
        raise _refuse(path, "its rows per conversion do not match its trailer (damaged)")
    if trailer.get("sha256") != sha256:
        raise _refuse(path, "its checksum does not match its trailer (damaged or edited)")


def load(path: Path) -> Backup:
    """The backup at path, read under caps and verified; PurgeRefused (one line) otherwise."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return _parse(path, fh)
    except OSError as e:
        raise _refuse(path, f"it cannot be read ({e.strerror or type(e).__name__})") from None


def read_backup(path: Path) -> tuple[JsonDict, list[dict[str, int]]]:
    """(header, rows) of a verified backup file; PurgeRefused if it is not a whole one."""
    backup = load(path)
    return backup.header, backup.row_dicts()
