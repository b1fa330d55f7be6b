"""What a cron script's output means: line kinds, progress, and the honest outcome
(docs/prosper202.md, "Cron scripts").

Pure and fast (the tail runs every line through `kind_of`), so the runner, the headless command,
the screen and the tests agree on one reading. The scripts' exit codes mislead: a skipped window
exits 0, a DB outage prints HTML and exits 0, so the outcome comes from exit code AND output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from attribtui.vocab import ExitCode, JobOutcome

# Line kinds. "noise" is dimmed and never a failure by itself; "other" is shown as it is.
PROGRESS, DONE, SKIP, ERROR_HEADER, ITEM_ERROR, FATAL, MODEL, HTML, NOISE, META, OTHER = (
    "progress", "done", "skip", "error-header", "item-error", "fatal", "model", "html", "noise",
    "meta", "other",
)

# The wrapper's own lines start with this (chunk markers, lock refusal), on either stream.
META_PREFIX = "[attribtui] "
# The wrapper's line when the job's lock vanished under it (docs/architecture.md, promise 8).
LOCK_LOST = META_PREFIX + "LOCK LOST"

SKIP_LINE = "Attribution cron already processed this window; skipping."
NO_USERS_LINE = "No users found for attribution processing."
REBUILD_ERRORS_HEADER = "Attribution recalculation completed with errors:"
BACKFILL_ERRORS_HEADER = "Encountered errors while persisting journeys:"
FATAL_LINES = (
    "Start timestamp must be earlier than end timestamp.",
    "Unable to obtain database connection.",
    "Start time must be before end time.",
    "Unable to obtain MySQL connection.",
    "Failed to prepare conversion lookup statement:",
    "Unable to locate Composer autoload file.",
    "PHP Fatal error:",
    "Fatal error:",
    "PHP Parse error:",
    "Parse error:",
)
NOISE_PREFIXES = (
    "PHP Warning:", "Warning:", "PHP Notice:", "Notice:", "PHP Deprecated:", "Deprecated:",
    "PHP Strict Standards:", "Strict Standards:",
)

# connect.php's warnings in a bare CLI run: the web $_SERVER keys are missing (docs/prosper202.md,
# "What connect.php does to a CLI run"). Folded by default; other PHP warnings stay visible.
_KNOWN_NOISE = re.compile(
    r'^(?:PHP )?(?:Warning|Notice):\s+Undefined (?:array key|index) '
    r'(?:"(?:HTTP_HOST|SERVER_ADDR|SERVER_NAME|REMOTE_ADDR|HTTP_USER_AGENT|REQUEST_URI)"|\d+) in ')
NOISE_HINT = "missing $_SERVER keys in a CLI run"

_PROCESSED = re.compile(r"^Processed (\d+) conversions\.\.\.$")
_BACKFILL_DONE = re.compile(
    r"^Journey backfill complete\. (\d+) conversions processed between (\S+) and (\S+?)"
    r"(?: for user (\d+))?\.$")
_REBUILD_DONE = re.compile(
    r"^Attribution recalculation complete for (\d+) user\(s\) covering (\S+) to (\S+?)\.$")
_MODEL = re.compile(r"^\[Prosper202\]\[attribution_job\] model_id=(\d+) user_id=(\d+) ")
_ITEM = re.compile(r"^(?:User (\d+)|Conversion (\d+) failed): ")
_HTML = re.compile(r"^\s*<(?:!doctype|html|head|body|title|h\d|div|p|br|b|font|table)\b", re.I)
_CHUNK = re.compile(r"^\[attribtui\] chunk (\d+)/(\d+) ")


def kind_of(stream: str, text: str) -> str:
    """The kind of one output line (stream is "stdout" or "stderr")."""
    if not text.strip():
        return NOISE
    c = text[0]
    if c == "P":
        if text.startswith("Processed ") and _PROCESSED.match(text):
            return PROGRESS
        if text.startswith("PHP "):
            if text.startswith(("PHP Fatal error:", "PHP Parse error:")):
                return FATAL
            if text.startswith(NOISE_PREFIXES):
                return NOISE
    elif c == "[":
        if text.startswith("[Prosper202][attribution_job]"):
            return MODEL
        if text.startswith(META_PREFIX):
            return META
    elif c in "WND" and text.startswith(NOISE_PREFIXES):
        return NOISE
    if text == SKIP_LINE:
        return SKIP
    if text == NO_USERS_LINE or _BACKFILL_DONE.match(text) or _REBUILD_DONE.match(text):
        return DONE
    if text in (REBUILD_ERRORS_HEADER, BACKFILL_ERRORS_HEADER):
        return ERROR_HEADER
    if text.startswith(FATAL_LINES):
        return FATAL
    if stream == "stderr" and _ITEM.match(text):
        return ITEM_ERROR
    if c in "< \t" and _HTML.match(text):
        return HTML
    return OTHER


def is_known_noise(kind: str, text: str) -> bool:
    """A blank line or one of connect.php's warnings about $_SERVER keys: says nothing about the
    job, and a backfill prints two per conversion. Errors and the script's lines never are."""
    return kind == NOISE and (not text.strip() or _KNOWN_NOISE.match(text) is not None)


def fold_note(folded: int, how: str) -> str:
    """The one line that stands for the folded noise; how: the key or flag that shows it."""
    return f"… {folded:,} lines of known PHP noise folded ({NOISE_HINT}); {how} shows them"


@dataclass(frozen=True, slots=True)
class LineEvent:
    """One output line: which stream, its text, when the tail read it, and its kind."""

    stream: str
    text: str
    time: float
    kind: str


@dataclass
class ChunkState:
    """What one script run (one chunk) said."""

    processed: int = 0  # backfill: the last "Processed N conversions..."
    users_done: set[int] = field(default_factory=set)  # rebuild: from the per-model lines
    models_done: int = 0
    completion: str | None = None
    skipped: bool = False
    no_users: bool = False
    error_header: bool = False
    item_errors: int = 0
    first_error: str | None = None
    html: bool = False
    noise: int = 0


@dataclass
class Progress:
    """Progress of a job (all its chunks), fed line by line by the tail."""

    kind: str  # "rebuild" | "backfill" | "script"
    chunks: int = 1
    total: int | None = None  # backfill: conversions (upper bound); rebuild: users per chunk
    lines: int = 0
    chunk_index: int = 0  # 0-based index of the chunk running now
    states: list[ChunkState] = field(default_factory=lambda: [ChunkState()])
    alert: str | None = None  # the wrapper's LOCK LOST line, for the progress display
    _at: dict[str, int] = field(default_factory=lambda: {"stdout": 0, "stderr": 0})

    @property
    def current(self) -> ChunkState:
        return self.states[self.chunk_index]

    def feed(self, ev: LineEvent) -> None:
        self.lines += 1
        k = ev.kind
        if k in (NOISE, OTHER):
            if k == NOISE:
                self.states[self._at.get(ev.stream, 0)].noise += 1
            return
        if k == META:
            if ev.text.startswith(LOCK_LOST):
                self.alert = ev.text[len(META_PREFIX):]
            m = _CHUNK.match(ev.text)
            if m:
                # The wrapper writes the marker to both files; each stream follows its own.
                index = int(m.group(1)) - 1
                self.chunks = max(self.chunks, int(m.group(2)))
                while len(self.states) <= index:
                    self.states.append(ChunkState())
                self._at[ev.stream] = index
                self.chunk_index = max(self.chunk_index, index)
            return
        st = self.states[self._at.get(ev.stream, 0)]
        if k == PROGRESS:
            st.processed = int(ev.text.split(" ", 2)[1])
        elif k == MODEL:
            m = _MODEL.match(ev.text)
            if m:
                st.users_done.add(int(m.group(2)))
                st.models_done += 1
        elif k == DONE:
            st.completion = ev.text
            st.no_users = ev.text == NO_USERS_LINE
            m = _BACKFILL_DONE.match(ev.text)
            if m:
                st.processed = int(m.group(1))
        elif k == SKIP:
            st.skipped = True
        elif k == ERROR_HEADER:
            st.error_header = True
        elif k == ITEM_ERROR:
            st.item_errors += 1
            st.first_error = st.first_error or ev.text
        elif k == FATAL:
            st.first_error = st.first_error or ev.text
        elif k == HTML:
            st.html = True

    @property
    def done_units(self) -> int:
        """Conversions processed (backfill) or users done (rebuild), over every chunk."""
        if self.kind == "backfill":
            return sum(s.processed for s in self.states)
        return sum(len(s.users_done) for s in self.states)

    def fraction(self) -> float | None:
        """0..1 over all chunks, or None when no total is known."""
        finished = sum(1 for s in self.states if s.completion or s.skipped)
        if self.kind == "backfill":
            if not self.total:
                return None
            return min(1.0, self.done_units / self.total)
        if not self.total:
            return None if self.chunks == 1 else min(1.0, finished / self.chunks)
        st = self.current
        inner = 1.0 if (st.completion or st.skipped) else min(1.0, len(st.users_done) / self.total)
        return min(1.0, (self.chunk_index + inner) / self.chunks)


def is_chunk_echo(ev: LineEvent) -> bool:
    """The stderr copy of a chunk marker: fed to the progress, shown once (from stdout)."""
    return ev.kind == META and ev.stream == "stderr" and _CHUNK.match(ev.text) is not None


@dataclass(frozen=True)
class Verdict:
    """The honest outcome of a job and why."""

    outcome: str  # succeeded | skipped | failed | suspicious | cancelled | not-started | running
    reason: str

    @property
    def exit_code(self) -> ExitCode:
        return JobOutcome(self.outcome).exit_code


def _chunk_verdict(kind: str, code: int | None, st: ChunkState) -> Verdict:
    if code is None:
        return Verdict("suspicious", "the job ended without recording an exit code (killed, or "
                                     "the host rebooted); read the log to see how far it got")
    if code < 0:
        return Verdict("failed", f"killed by signal {-code}")
    if code == 255:
        return Verdict("failed", "exit 255: an uncaught PHP exception"
                       + (f" ({st.first_error})" if st.first_error else ""))
    if code != 0:
        if st.error_header:
            what = "user(s)" if kind == "rebuild" else "conversion(s)"
            return Verdict("failed", f"exit {code}: {st.item_errors} {what} failed, e.g. "
                           f"{st.first_error or 'see stderr'}")
        return Verdict("failed", f"exit {code}: {st.first_error or 'see the stderr log'}")
    if st.html:
        return Verdict("suspicious", "exit 0 but the output is an HTML page: connect.php's "
                       "database-outage page; nothing was processed")
    if st.skipped:
        return Verdict("skipped", "the duplicate-window guard skipped this run: 202_cronjobs "
                       "already has the 'attr' row for the hour of --end (nothing was rebuilt)")
    if st.error_header or st.item_errors:
        return Verdict("suspicious", "exit 0 although errors were printed")
    if st.no_users:
        return Verdict("succeeded", "no users to process (every user deleted, or none exist)")
    if st.completion:
        if kind == "backfill":
            return Verdict("succeeded", f"{st.processed} conversions processed")
        return Verdict("succeeded", st.completion)
    if kind == "script":
        return Verdict("succeeded", "exit 0")
    return Verdict("suspicious", "exit 0 without the completion line: the script stopped early "
                   "or printed something unexpected; read the log")


def verdict(kind: str, exit_codes: list[int | None], progress: Progress, *,
            cancelled: bool = False, not_started: str | None = None,
            chunks: int | None = None, lock_lost: str | None = None) -> Verdict:
    """The outcome from every chunk's exit code and what the output said.

    lock_lost: why the job's lock vanished while it ran (it then stops before its next chunk).
    """
    if not_started:
        return Verdict("not-started", not_started)
    if cancelled:
        return Verdict("cancelled", "cancelled by the operator (process group terminated)")
    base = _worst(kind, exit_codes, progress, chunks)
    if not lock_lost:
        return base
    n, ran = chunks or max(1, len(exit_codes)), len(exit_codes)
    lost = f"the job's lock was lost: {lock_lost}"
    if ran < n:
        if base.outcome == "failed":
            return Verdict("failed", f"{base.reason}; and {lost}")
        return Verdict("failed", f"{lost}; stopped before chunk {ran + 1}/{n} so that no other "
                       f"job runs over it: chunks {ran + 1}..{n} not run; start them again as a "
                       "new job")
    if base.outcome in ("succeeded", "skipped"):
        return Verdict("suspicious", f"{base.reason}, but {lost}: another operator may have "
                       "written the same data meanwhile; check the action log and the job "
                       "history")
    return Verdict(base.outcome, f"{base.reason}; {lost}")


def _worst(kind: str, exit_codes: list[int | None], progress: Progress,
           chunks: int | None) -> Verdict:
    """The worst chunk's verdict, or the whole job's when every chunk succeeded."""
    states = progress.states
    verdicts = [_chunk_verdict(kind, code, states[i] if i < len(states) else ChunkState())
                for i, code in enumerate(exit_codes)]
    if not verdicts:
        return Verdict("suspicious", "no exit code recorded")
    n = chunks or len(verdicts)
    order = ("failed", "suspicious", "skipped", "succeeded")
    worst = min(verdicts, key=lambda v: order.index(v.outcome))
    if n == 1:
        return worst
    at = verdicts.index(worst) + 1
    if worst.outcome == "succeeded":
        if len(verdicts) < n:
            return Verdict("suspicious", f"only {len(verdicts)} of {n} chunks ran")
        return Verdict("succeeded", f"all {n} chunks succeeded")
    return Verdict(worst.outcome, f"chunk {at}/{n}: {worst.reason}"
                   + ("" if len(verdicts) == n else f"; chunks {len(verdicts) + 1}..{n} not run"))
