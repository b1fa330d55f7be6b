"""`attribtui demo`: the embedded Prosper202 sandbox on SQLite, under the data dir.

The demo database is reused between runs, and reseeded when older than 6 h (its findings, such
as a stale heartbeat, are relative to the time it was seeded), but never while a job or a
walkthrough of the demo is live. Seeding writes a new file and swaps it in atomically, so a
half-seeded demo is never opened.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from attribtui.infra import clock, paths
from attribtui.infra.config import ApiConfig, ConfigError, DbConfig, JobsConfig, Profile
from attribtui.services.jobs import store
from attribtui.services.rollback.state import latest_active
from attribtui.vocab import JsonDict

MAX_AGE_S = 6 * 3600
CONVERSIONS = 2000
PROFILE_NAME = "demo"
DEMO_USER_ID = 1  # the seeded user with both attribution permissions
API_KEY_VAR = "P202_DEMO_API_KEY"  # looked up in _api_env, never in os.environ

Progress = Callable[[str, float], None]


def db_path() -> Path:
    return paths.data_file("demo")


def url_for(path: Path) -> str:
    return f"sqlite:///{path}"


def free_port() -> int:
    """A free loopback port for the emulator, chosen before the console paints."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def profile(path: Path | None = None, api_port: int | None = None,
            pace: float = 0.0) -> Profile:
    """The `demo` profile: a dev environment on the demo database, jobs through the stand-ins
    (waiting `pace` seconds per batch or user, for drills), and the v2 API emulator on a loopback
    port (started by `start_api`, after the first paint: it loads SQLAlchemy)."""
    path = path or db_path()
    port = api_port or free_port()
    env = {}
    if pace:
        # Loaded only for a paced demo: the stand-ins' package loads SQLAlchemy (first paint).
        from attribtui.sandbox.cron.pace import PACE_ENV

        env[PACE_ENV] = f"{pace:g}"
    return Profile(
        name=PROFILE_NAME,
        environment="dev",
        db=DbConfig(url=url_for(path), statement_timeout_ms=5000, connect_timeout_s=2),
        api=ApiConfig(base_url=f"http://127.0.0.1:{port}", key_env=API_KEY_VAR,
                      environ=_api_env, timeout_s=5.0, user_id=DEMO_USER_ID),
        jobs=JobsConfig(runner="sandbox", env=env),
        sources={"*": "demo"},
    )


# -- `--profile demo` for headless commands --------------------------------------------------------
# The open console records its emulator's port and pace, so a headless command on the demo reaches
# the same API, paces its jobs alike, and (same data dir, same database) shares the job history.

def save_console(port: int, pace: float) -> None:
    paths.write_json(paths.data_file("demo-console"),
                     {"pid": os.getpid(), "api_port": port, "pace": pace})


def clear_console() -> None:
    state = paths.read_json(paths.data_file("demo-console"))
    if state and state.get("pid") == os.getpid():
        paths.data_file("demo-console").unlink(missing_ok=True)


def _open_console() -> JsonDict | None:
    """The running demo console's state, or None (no console, or it died without cleaning up)."""
    state = paths.read_json(paths.data_file("demo-console"))
    pid = state.get("pid") if state else None
    if not isinstance(pid, int) or not store.pid_alive(pid, None):
        return None
    return state


def headless_profile() -> Profile:
    """`--profile demo` outside the console: the demo database, the open console's API and pace.

    ConfigError (exit 3, one line) when the demo is not set up yet."""
    path = db_path()
    if not path.exists():
        raise ConfigError(f"profile 'demo': the demo is not set up ({path} does not exist); run "
                          "`attribtui demo` once to seed it")
    state = _open_console() or {}
    load_api_key(path)
    port, pace = state.get("api_port"), state.get("pace")
    prof = profile(path, api_port=port if isinstance(port, int) else None,
                   pace=float(pace) if isinstance(pace, int | float) else 0.0)
    if not state:  # said by the commands that need the API, when they cannot reach it
        prof = replace(prof, api=replace(prof.api, down_hint=(
            "the demo console is not open, so its v2 API emulator is not running: open "
            "`attribtui demo` in another terminal first")))
    return prof


def api_port(profile: Profile) -> int:
    """The loopback port the demo profile's API URL names (the emulator is served there)."""
    return int(str(profile.api.base_url).rsplit(":", 1)[1])


# -- the v2 API emulator of the demo ---------------------------------------------------------------
# The key is read from the seeded 202_api_keys; on a first run the database is seeded only in the
# console's prepare step, so the profile resolves the key lazily through this mapping (key_env).

_api_env: dict[str, str] = {}
_api_server: JsonDict = {}


def start_api(path: Path, port: int = 0) -> str:
    """Serve the emulator on the demo database (once per process); returns its base URL."""
    from attribtui.sandbox.emulator import base_url, serve

    url = url_for(path)
    if url not in _api_server:
        server, _thread = serve(url, "127.0.0.1", port)
        _api_server[url] = server
    load_api_key(path)
    return base_url(_api_server[url])


def load_api_key(path: Path) -> str | None:
    """The demo user's key from the seeded 202_api_keys (None while the demo is not seeded)."""
    from sqlalchemy import inspect, select

    from attribtui.infra import engines
    from attribtui.prosper import tables as pt

    if not path.exists():
        return None
    engine = engines.create(url_for(path), null_pool=True)
    try:
        if pt.api_keys.name not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            key = conn.execute(select(pt.api_keys.c.api_key)
                               .where(pt.api_keys.c.user_id == DEMO_USER_ID).limit(1)).scalar()
    except Exception:  # noqa: BLE001 - an unreadable demo is reseeded by the prepare step
        return None
    finally:
        engine.dispose()
    if key:
        _api_env[API_KEY_VAR] = key
    return key


def busy_reason() -> str | None:
    """Why the demo must not be reseeded now (a live job or walkthrough on it), or None."""
    live = [r for r in store.history(1000, PROFILE_NAME) if r.exit is None]
    if live:
        return (f"job {live[0].id} is still running on the demo (`attribtui jobs cancel "
                f"{live[0].id} --profile demo` stops it)")
    walkthrough = latest_active(PROFILE_NAME)
    if walkthrough:
        return (f"rollback walkthrough {walkthrough.id} is still active on the demo (finish it, "
                "or abandon it: x on the Rollback screen)")
    return None


def needs_seed(path: Path, *, reset: bool = False, now: int | None = None,
               drill: str | None = None) -> str | None:
    """Why the demo database must be (re)seeded now, or None to reuse it as it is.

    A drill is staged afresh each time it is asked for (its incident is "an hour ago"); the plain
    demo replaces a drill's database. Neither happens while a job or walkthrough is live on it:
    `attribtui demo` then reopens it as it is, to resume."""
    from attribtui.sandbox.seed import read_marker

    if not path.exists():
        return "no demo database yet"
    try:
        marker = read_marker(url_for(path))
    except Exception as e:  # noqa: BLE001 - a damaged file is simply reseeded
        return f"the demo database is unreadable ({type(e).__name__})"
    if not marker or "seeded_at" not in marker:
        return "the last seed did not finish"
    busy = busy_reason()
    if reset or drill:
        return None if busy else f"staging the drill {drill}" if drill else "--reset"
    if marker.get("drill") and not busy:
        return f"it holds the drill {marker['drill']}; the plain demo replaces it"
    age = (clock.now() if now is None else now) - int(marker["now"])
    if age > MAX_AGE_S and not busy:
        return f"the demo data is {clock.ago(age)} old (its findings are relative to when it was seeded)"
    return None


def reseed(path: Path, progress: Progress | None = None, conversions: int = CONVERSIONS,
           drill: str | None = None) -> None:
    """Seed a fresh demo (or a drill, on a seed without the demo's defects) into a temporary
    file, then swap it in."""
    from attribtui.sandbox.seed import seed

    tmp = path.with_suffix(".seeding.sqlite")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    seed(url_for(tmp), conversions=conversions, defects="none" if drill else "demo",
         progress=progress, drill=drill)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, path)
    os.chmod(path, 0o600)
    load_api_key(path)


def briefing(path: Path) -> str | None:
    """The pager text of the drill the demo database holds (None for the plain demo)."""
    from attribtui.sandbox.drills import DRILLS
    from attribtui.sandbox.seed import read_marker

    name = (read_marker(url_for(path)) or {}).get("drill")
    drill = DRILLS.get(str(name)) if name else None
    return f"Drill {drill.name}: {drill.title}\n\n{drill.briefing}" if drill else None
