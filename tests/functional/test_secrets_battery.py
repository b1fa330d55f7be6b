"""The secrets battery (docs/architecture.md, "Promise 4"): a recognisable v2 key and a real
MariaDB user whose password holds / ? # @ :, URL-encoded in db.url. Every command, the console's
screens (Pilot), a forced crash and hostile URLs; then stdout, stderr and every file under the
data dir are searched for the key, the password, its URL-encoded form and its fragments.

The tests of this module share one data dir and run in file order: the report and the final
search of the data dir come after the commands that fill it.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pymysql
import pytest
from textual.widgets import Button, DataTable, Input, Select, Static

from attribtui.infra import clock
from attribtui.infra.config import ApiConfig, DbConfig, JobsConfig, MemcacheConfig, Profile
from attribtui.sandbox import emulator
from tests.support import (
    MARIADB_HOST,
    MARIADB_PORT,
    MEMCACHE_HTTP_HOST,
    MEMCACHE_SERVER_ADDR,
    MEMCACHED,
    NOW,
    create_database,
    drop_database,
)

pytestmark = pytest.mark.mariadb

SECRET_KEY = "SECRETKEY-attribtui-0123456789"
PASSWORD = "Zq9Wv/Kr7Tx?#@:Mj3Hp"  # / ? # @ : and three recognisable pieces
ENCODED = quote(PASSWORD, safe="")
NEEDLES = (SECRET_KEY, "SECRETKEY", PASSWORD, ENCODED, "Zq9Wv", "Kr7Tx", "Mj3Hp")
KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()
KEY_VAR = "T_BATTERY_API_KEY"


def leaks(text: str, needles: tuple[str, ...] = NEEDLES) -> list[str]:
    return [n for n in needles if n in text]


def files_with_leaks(root: Path, needles: tuple[str, ...] = NEEDLES) -> dict[str, list[str]]:
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        hits = leaks(path.read_bytes().decode("utf-8", "replace"), needles)
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


@dataclass
class Battery:
    name: str
    url: str  # the secret user's, password URL-encoded
    root_url: str
    sandbox_url: str  # an empty database the secret user may seed
    api_base: str
    data: Path
    env: dict[str, str]
    convs: list[int]
    ran: list[tuple[str, ...]] = field(default_factory=list)

    def run(self, *args: str, codes: tuple[int, ...] = (0,), env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([sys.executable, "-m", "attribtui.cli", *args],
                           env={**self.env, **(env or {})}, text=True, capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=180)
        self.ran.append(args)
        assert not leaks(r.stdout + r.stderr), (args, leaks(r.stdout + r.stderr))
        assert r.returncode in codes, (args, r.returncode, r.stderr[-2000:])
        return r

    def assert_data_dir_clean(self) -> None:
        assert files_with_leaks(self.data) == {}


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ATTRIBTUI_") or k.startswith("ATTRIBTUI_TEST_")}
    env.update(XDG_CONFIG_HOME=str(home / "xdg-config"), XDG_DATA_HOME=str(home / "xdg-data"),
               ATTRIBTUI_DATA_DIR=str(home / "data"))
    return env


@contextlib.contextmanager
def _secret_user(databases: tuple[str, ...]) -> Iterator[str]:
    """A MariaDB user whose password is PASSWORD, with every privilege on `databases`."""
    user = f"sec_{os.getpid()}"
    admin = pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
            cur.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (PASSWORD,))  # %%: args
            for db in databases:
                cur.execute(f"GRANT ALL ON `{db}`.* TO '{user}'@'%'")
        yield user
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        admin.close()


def _prepare(name: str) -> list[int]:
    """The secret key for user 1; two live conversions with stored journeys."""
    with pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", database=name,
                         autocommit=True) as c, c.cursor() as cur:
        cur.execute("UPDATE 202_api_keys SET api_key = %s WHERE api_key = %s", (SECRET_KEY, KEY1))
        cur.execute("SELECT t.conv_id FROM 202_conversion_touchpoints t JOIN 202_conversion_logs "
                    "l ON l.conv_id = t.conv_id WHERE l.deleted = 0 GROUP BY t.conv_id "
                    "ORDER BY t.conv_id DESC LIMIT 2")
        return [int(r[0]) for r in cur.fetchall()]


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Battery]:
    from attribtui.sandbox.seed import seed

    name, root_url = create_database()
    sandbox_name, _ = create_database()
    try:
        seed(root_url, conversions=300, now=NOW, defects="demo")
        convs = _prepare(name)
        with _secret_user((name, sandbox_name)) as user:
            server, _ = emulator.serve(root_url)
            home = tmp_path_factory.mktemp("battery")
            auth = f"{user}:{ENCODED}@{MARIADB_HOST}:{MARIADB_PORT}"
            url = f"mysql+pymysql://{auth}/{name}"
            env = _clean_env(home)
            env.update(ATTRIBTUI_DB_URL=url, ATTRIBTUI_API_BASE_URL=emulator.base_url(server),
                       ATTRIBTUI_API_KEY_ENV=KEY_VAR, **{KEY_VAR: SECRET_KEY},
                       ATTRIBTUI_API_USER_ID="1", ATTRIBTUI_NOW=str(NOW),
                       ATTRIBTUI_ENVIRONMENT="staging", ATTRIBTUI_JOBS_RUNNER="sandbox",
                       ATTRIBTUI_MEMCACHE_SERVERS=json.dumps([MEMCACHED]),
                       ATTRIBTUI_MEMCACHE_HTTP_HOST=MEMCACHE_HTTP_HOST,
                       ATTRIBTUI_MEMCACHE_SERVER_ADDR=MEMCACHE_SERVER_ADDR)
            try:
                yield Battery(name, url, root_url, f"mysql+pymysql://{auth}/{sandbox_name}",
                              emulator.base_url(server), home / "data", env, convs)
            finally:
                server.shutdown()
                server.server_close()
    finally:
        drop_database(name)
        drop_database(sandbox_name)


# -- every command --------------------------------------------------------------------------------

FAMILIES = ("check", "profiles", "config", "paths", "prune", "sandbox", "run", "jobs", "journey", "models",
            "purge", "report", "rollback")


def test_help_config_and_paths(battery: Battery) -> None:
    assert "exit codes:" in battery.run("--help").stdout
    for family in FAMILIES:
        battery.run(family, "--help")
    shown = battery.run("config", "show").stdout
    assert "***" in shown  # the password was there to hide
    battery.run("config", "show", "--json")
    battery.run("paths")
    battery.run("paths", "--json")
    battery.assert_data_dir_clean()


def test_check(battery: Battery) -> None:
    assert "Summary:" in battery.run("check", codes=(0, 1, 2)).stdout  # reached the database
    json.loads(battery.run("check", "--json", codes=(0, 1, 2)).stdout)
    battery.run("check", "--format", "prometheus", codes=(0, 1, 2))
    battery.assert_data_dir_clean()


def test_fleet_check_and_profiles(battery: Battery) -> None:
    # Without a config file the fleet is the implicit profile, built from the same variables.
    out = battery.run("check", "--all-profiles", codes=(0, 1, 2))
    assert "fleet of 1 profile " in out.stdout and "Fleet: " in out.stdout
    assert out.stderr == ""  # its own variables are not a fleet-wide override
    doc = json.loads(battery.run("check", "--all-profiles", "--json", codes=(0, 1, 2)).stdout)
    assert [p["profile"] for p in doc["profiles"]] == ["env"]
    battery.run("check", "--all-profiles", "--format", "prometheus", codes=(0, 1, 2))
    assert "env" in battery.run("profiles").stdout
    assert json.loads(battery.run("profiles", "--json").stdout)[0]["db_configured"] is True
    battery.assert_data_dir_clean()


def test_journey(battery: Battery) -> None:
    ids = [str(c) for c in battery.convs]
    assert "Summary:" in battery.run("journey", *ids, codes=(0, 1, 2)).stdout
    battery.run("journey", *ids, "--json", codes=(0, 1, 2))
    battery.run("journey", ids[0], "--evict-cache", "--dry-run", codes=(0, 1, 2))
    r = battery.run("journey", ids[0], "--evict-cache", "--yes", codes=(0, 1, 2))
    assert "evicted" in r.stderr
    battery.assert_data_dir_clean()


def test_models(battery: Battery) -> None:
    assert "Position 40/40" in battery.run("models", "list").stdout  # the key was accepted
    assert json.loads(battery.run("models", "list", "--json").stdout)["api_error"] is None
    assert "apikey=***" in battery.run("models", "activate", "4", "--dry-run").stdout
    battery.run("models", "activate", "4", "--dry-run", "--json")
    assert "is now inactive" in battery.run("models", "deactivate", "3", "--yes").stdout
    assert json.loads(battery.run("models", "activate", "3", "--yes", "--json").stdout)["ok"]
    battery.assert_data_dir_clean()


def test_purge_and_restore(battery: Battery) -> None:
    conv = str(battery.convs[0])
    battery.run("purge", "--conv-ids", conv, "--dry-run")
    assert "Backed up" in battery.run("purge", "--conv-ids", conv, "--yes").stdout
    (backup,) = sorted((battery.data / "backups").glob("purge-*"))
    battery.run("purge", "restore", str(backup), "--dry-run")
    battery.run("purge", "restore", str(backup), "--yes")
    battery.assert_data_dir_clean()


def test_run_and_jobs(battery: Battery) -> None:
    battery.run("run", "rebuild", "--last=24h", "--dry-run", codes=(0, 1))
    assert "succeeded" in battery.run("run", "backfill", "--last=6h", "--yes").stderr
    battery.run("run", "rebuild", "--last=24h", "--yes", codes=(0, 1, 2))  # user 4 fails: a log
    jobs = json.loads(battery.run("jobs", "--json").stdout)
    assert len(jobs) == 2
    battery.run("jobs")
    for job in jobs:
        battery.run("jobs", "show", job["id"], codes=(0, 1, 2))
    battery.assert_data_dir_clean()


def test_sandbox(battery: Battery) -> None:
    url = battery.sandbox_url
    assert "Seeded" in battery.run("sandbox", "seed", "--url", url, "--conversions", "40",
                                   "--no-defects").stdout
    battery.run("sandbox", "seed", "--url", url, "--conversions", "40", "--no-defects",
                "--reset", "--json")
    api = subprocess.Popen([sys.executable, "-m", "attribtui.cli", "sandbox", "api", "--url", url,
                            "--port", "0", "--show-keys"], env={**battery.env, "PYTHONUNBUFFERED": "1"},
                           text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL)
    assert api.stdout is not None
    shown = []
    while (line := api.stdout.readline()) and "user 2:" not in line:  # serving, keys printed
        shown.append(line)
    api.send_signal(signal.SIGINT)
    out, err = api.communicate(timeout=30)
    text = "".join(shown) + line + out + err
    assert text.startswith("v2 API emulator on ") and "apikey=" in text
    assert not leaks(text)
    battery.run("prune", "--older-than", "30d", "--dry-run")
    battery.assert_data_dir_clean()


# -- the console ----------------------------------------------------------------------------------


def _screen_text(app: Any) -> str:
    svg = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))
    parts = [svg, *(str(w.render()) for w in app.screen.query(Static))]
    for table in app.screen.query(DataTable):
        parts += [" ".join(map(str, table.get_row_at(i))) for i in range(table.row_count)]
    parts += [f"{n.title} {n.message}" for n in app._notifications]
    return "\n".join(parts)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_console_screens_confirmations_and_ctrl_r(battery: Battery,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from screens.app import ConsoleApp
    from screens.components.confirm import ActionConfirmScreen
    from tests.ui.conftest import settle

    monkeypatch.setenv("ATTRIBTUI_DATA_DIR", str(battery.data))
    monkeypatch.setenv(KEY_VAR, SECRET_KEY)
    profile = Profile(name="battery", environment="staging",
                      db=DbConfig(url=battery.url, connect_timeout_s=2.0),
                      api=ApiConfig(base_url=battery.api_base, key_env=KEY_VAR, user_id=1),
                      memcache=MemcacheConfig(servers=[MEMCACHED], http_host=MEMCACHE_HTTP_HOST,
                                              server_addr=MEMCACHE_SERVER_ADDR),
                      jobs=JobsConfig(runner="sandbox"))
    seen: list[str] = []
    clock.freeze(NOW)
    try:
        app = ConsoleApp(profile, status_interval=3600)
        async with app.run_test(size=(120, 40)) as pilot:

            async def look(*keys: str) -> None:
                await pilot.press(*keys)
                await settle(pilot)
                seen.append(_screen_text(app))

            await settle(pilot)
            app.action_status_details()
            await look("1")
            await look("e")  # export the check run as Markdown
            await look("2")
            app.screen.query_one("#ids", Input).value = str(battery.convs[1])
            await look("enter")
            await look("e")  # the eviction's confirmation
            assert isinstance(app.screen, ActionConfirmScreen)
            await look("escape")
            app.action_show("models")  # digits on Journeys' results start the next lookup
            await look()
            await look("down")
            await look("d")  # model 3: the deactivation's confirmation, with the request
            assert isinstance(app.screen, ActionConfirmScreen)
            await look("escape")
            await look("4")
            await look("p")
            await look("5")
            await look("n")
            dialog = app.screen
            dialog.query_one("#f-model", Input).value = "3"
            dialog.query_one("#f-affected", Select).value = "convs"  # conv_ids, not a window
            await pilot.pause()
            dialog.query_one("#f-convs", Input).value = str(battery.convs[1])
            dialog.query_one("#start", Button).press()
            await settle(pilot)
            await look("g")  # the first step's confirmation: deactivate model 3
            assert isinstance(app.screen, ActionConfirmScreen)
            await look("escape")
            await look("ctrl+r")
            assert any("Incident report" in str(n.title) for n in app._notifications)
            await look("question_mark")
            assert app.return_code is None
    finally:
        clock.freeze(None)
    assert len(seen) > 15 and not leaks("\n".join(seen))
    assert list((battery.data / "rollbacks").iterdir())  # the walkthrough was saved
    battery.assert_data_dir_clean()


# -- after the commands and the console: the report, the rollback, a crash -----------------------


def test_report_and_rollback(battery: Battery) -> None:
    report = battery.run("report").stdout + battery.run("report", "--json").stdout
    assert report
    walkthroughs = json.loads(battery.run("rollback", "list", "--json").stdout)
    battery.run("rollback", "list")
    assert walkthroughs
    for w in walkthroughs:
        battery.run("rollback", "show", str(w["id"]), codes=(0, 1, 2))
    battery.assert_data_dir_clean()


def test_a_forced_crash(battery: Battery) -> None:
    # No MySQLdb driver is installed: an unexpected error while the secret URL is in use.
    url = battery.url.replace("mysql+pymysql://", "mysql://")
    r = battery.run("journey", str(battery.convs[0]), codes=(3,), env={"ATTRIBTUI_DB_URL": url})
    assert "internal error: ModuleNotFoundError" in r.stderr  # one line
    r = battery.run("journey", str(battery.convs[0]), codes=(1,),
                    env={"ATTRIBTUI_DB_URL": url, "ATTRIBTUI_DEBUG": "1"})
    assert "Traceback (most recent call last)" in r.stderr  # the whole traceback
    battery.assert_data_dir_clean()


def test_the_data_dir_holds_every_kind_of_file_and_no_secret(battery: Battery) -> None:
    data = battery.data
    kinds = {p.relative_to(data).parts[0] for p in data.rglob("*") if p.is_file()}
    assert {"checks", "jobs", "backups", "reports", "rollbacks"} <= kinds, kinds
    assert list(data.glob("jobs/*/job.json")) and list(data.glob("jobs/*/stdout.log"))
    assert any(p.name.startswith("action") for p in data.iterdir())
    assert files_with_leaks(data) == {}
    home = data.parent
    assert files_with_leaks(home) == {}  # the config and XDG dirs too


# -- hostile URLs ---------------------------------------------------------------------------------

# (database URL, the password in it): raw / ? # @ : (the brief's shape and a recognisable one), a
# port that is not a number after the password, a password in the query string.
HOSTILE_DB = [
    ("mysql+pymysql://u:Pa/ss?#@:9zQ@127.0.0.1:1/db", "Pa/ss?#@:9zQ"),
    ("mysql+pymysql://u:Kq7w/Xv3?#@:9zQp@127.0.0.1:1/db", "Kq7w/Xv3?#@:9zQp"),
    ("mysql+pymysql://u:Kq7w/Xv3?#@:9zQp@127.0.0.1:notaport/db", "Kq7w/Xv3?#@:9zQp"),
    ("mysql+pymysql://u@127.0.0.1:1/db?password=Wq8z%23Hy4n", "Wq8z%23Hy4n"),
]
HOSTILE_API = [
    ("http://u:Kq7w/Xv3?#@:9zQp@127.0.0.1:1/", "Kq7w/Xv3?#@:9zQp"),
    ("http://u:Wq8z%2FHy4n@127.0.0.1:1/p202", "Wq8z%2FHy4n"),
]
# (id, command, environment overrides; "{url}" is the hostile URL)
DB_INPUTS: list[tuple[str, tuple[str, ...], dict[str, str]]] = [
    ("check", ("check",), {"ATTRIBTUI_DB_URL": "{url}"}),
    ("journey", ("journey", "1"), {"ATTRIBTUI_DB_URL": "{url}"}),
    ("purge", ("purge", "--conv-ids", "1", "--dry-run"), {"ATTRIBTUI_DB_URL": "{url}"}),
    ("run", ("run", "rebuild", "--last=24h", "--dry-run"), {"ATTRIBTUI_DB_URL": "{url}"}),
    ("report", ("report",), {"ATTRIBTUI_DB_URL": "{url}"}),
    ("config", ("config", "show"), {"ATTRIBTUI_DB_URL": "{url}"}),
    ("debug", ("check",), {"ATTRIBTUI_DB_URL": "{url}", "ATTRIBTUI_DEBUG": "1"}),
    ("read-url", ("check",), {"ATTRIBTUI_DB_READ_URL": "{url}"}),
    ("config-file", ("check",), {"ATTRIBTUI_CONFIG": "{config}"}),
    ("seed", ("sandbox", "seed", "--url", "{url}", "--conversions", "5"), {}),
    ("seed-debug", ("sandbox", "seed", "--url", "{url}", "--conversions", "5"),
     {"ATTRIBTUI_DEBUG": "1"}),
    ("sandbox-api", ("sandbox", "api", "--url", "{url}", "--port", "0"), {}),
]
API_INPUTS: list[tuple[str, tuple[str, ...], dict[str, str]]] = [
    ("list", ("models", "list"), {"ATTRIBTUI_API_BASE_URL": "{url}"}),
    ("plan", ("models", "activate", "4", "--dry-run"), {"ATTRIBTUI_API_BASE_URL": "{url}"}),
    ("config", ("config", "show"), {"ATTRIBTUI_API_BASE_URL": "{url}"}),
]


def test_the_api_client_hides_a_hostile_base_url_the_loader_never_saw() -> None:
    """A Profile made in code (the console's tests, a future caller) skips the config loader's
    URL checks: the client's own messages still show no fragment of the password."""
    from attribtui.infra import api

    for url, password in HOSTILE_API:
        profile = Profile(name="p", environment="staging",
                          api=ApiConfig(base_url=url, key=SECRET_KEY, timeout_s=0.5, user_id=1))
        shown: list[str] = [api.health(url, 0.5).message]
        with api.V2Client(profile) as client:
            for call in (client.list_models, lambda: client.update_model(3, {"is_active": 0})):
                with pytest.raises(api.ApiError) as e:
                    call()
                shown += [str(e.value), e.value.request]
        text = "\n".join(shown)
        assert leaks(text, (*fragments(password), *NEEDLES)) == [], text


def fragments(password: str) -> tuple[str, ...]:
    """The password, its encoded and decoded forms, and each piece of 3 characters or more."""
    forms = {password, quote(password, safe=""), unquote(password)}
    pieces = {p for f in forms for p in re.split(r"[/?#@:%]", f) if len(p) >= 3}
    return tuple(sorted(forms | pieces))


def _hostile() -> Iterator[Any]:
    for n, (url, password) in enumerate(HOSTILE_DB):
        for case_id, args, env in DB_INPUTS:
            yield pytest.param(url, password, args, env, id=f"db{n}-{case_id}")
    for n, (url, password) in enumerate(HOSTILE_API):
        for case_id, args, env in API_INPUTS:
            yield pytest.param(url, password, args, env, id=f"api{n}-{case_id}")


@pytest.mark.parametrize(("url", "password", "args", "overrides"), _hostile())
def test_a_hostile_url_shows_no_fragment_of_its_password(
        battery: Battery, tmp_path: Path, url: str, password: str, args: tuple[str, ...],
        overrides: dict[str, str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.hostile]\nenvironment = "staging"\n'
                      f"db = {{ url = {json.dumps(url)} }}\n")
    subst = {"{url}": url, "{config}": str(config)}
    env = _clean_env(tmp_path)
    env.update(ATTRIBTUI_ENVIRONMENT="staging", ATTRIBTUI_DB_URL=battery.root_url,
               ATTRIBTUI_API_KEY="k", ATTRIBTUI_API_USER_ID="1", ATTRIBTUI_API_TIMEOUT_S="1",
               ATTRIBTUI_DB_CONNECT_TIMEOUT_S="1")
    env.update({k: subst.get(v, v) for k, v in overrides.items()})
    if "ATTRIBTUI_CONFIG" in overrides:
        del env["ATTRIBTUI_DB_URL"], env["ATTRIBTUI_ENVIRONMENT"]
    r = subprocess.run([sys.executable, "-m", "attribtui.cli", *(subst.get(a, a) for a in args)],
                       env=env, text=True, capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=60)
    needles = fragments(password)
    assert leaks(r.stdout + r.stderr, needles) == []
    config.unlink()  # it holds the password on purpose
    assert files_with_leaks(tmp_path, needles) == {}
