"""V2Client and the models core against the emulator over real loopback HTTP, plus the odd servers
(an HTML 500, a socket that never answers, a refused port, TLS to plain HTTP), the default trap,
the delete backup, the headless command, and key redaction everywhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server

import pytest
from sqlalchemy import create_engine, text

from attribtui.infra import actionlog, api, clock
from attribtui.infra.config import ApiConfig, DbConfig, Profile
from attribtui.infra.db import Database
from attribtui.prosper import validation as v
from attribtui.sandbox import emulator
from attribtui.services import models as core
from tests.support import NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb

KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()
KEY2 = hashlib.sha256(b"attribtui-sandbox-api-key-2").hexdigest()


@pytest.fixture
def sandbox() -> Iterator[dict[str, Any]]:
    """A freshly seeded database per test (the core tests change the default model)."""
    from attribtui.sandbox.seed import seed

    clock.freeze(NOW)
    name, url = create_database()
    seed(url, conversions=200, now=NOW, defects="none")
    server, _thread = emulator.serve(url)
    yield {"url": url, "base": emulator.base_url(server)}
    server.shutdown()
    server.server_close()
    drop_database(name)
    clock.freeze(None)


def profile(base: str | None, key: str | None = KEY1, *, url: str | None = None,
            read_only: bool = False, timeout_s: float = 5.0) -> Profile:
    return Profile(name="sbx", environment="staging", read_only=read_only,
                   db=DbConfig(url=url, connect_timeout_s=2.0),
                   api=ApiConfig(base_url=base, key=key, timeout_s=timeout_s, user_id=1))


def serve_app(app: Any) -> tuple[Any, str]:
    server = make_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


# -- the client's routes -----------------------------------------------------------------------


def test_client_every_route(sandbox: dict[str, Any]) -> None:
    with api.V2Client(profile(sandbox["base"])) as c:
        assert c.health().ok
        assert {m["model_id"] for m in c.list_models()} == {1, 2, 3}
        assert [m["type"] for m in c.list_models(type="time_decay")] == ["time_decay"]
        made = c.create_model({"name": "Client Made", "type": "time_decay",
                               "weighting_config": {"half_life_hours": 6}})
        assert made["slug"] == "client-made"
        assert c.update_model(made["model_id"], {"name": "Renamed"})["slug"] == "renamed"
        snaps = c.snapshots(2, clock.hour(NOW) - 86400, clock.hour(NOW), limit=3)
        assert len(snaps.data) == 3 and snaps.pagination == {"limit": 3, "offset": 0}
        assert "totals" in c.metrics(2, clock.hour(NOW) - 86400, clock.hour(NOW))
        assert c.delete_model(made["model_id"]) is None
        assert made["model_id"] not in {m["model_id"] for m in c.list_models()}


def test_unauthorized_forbidden_not_configured(sandbox: dict[str, Any]) -> None:
    with api.V2Client(profile(sandbox["base"], key="wrong")) as c, pytest.raises(api.Unauthorized) as e:
        c.list_models()
    assert e.value.server_message == "Invalid API key." and "api.key_env" in str(e.value)
    with api.V2Client(profile(sandbox["base"], key=KEY2)) as c, pytest.raises(api.Forbidden) as e:
        c.create_model({"name": "x", "type": "last_touch"})
    assert "manage_attribution_models" in str(e.value) and e.value.exit_code == 3
    with api.V2Client(profile(sandbox["base"], key=None)) as c, pytest.raises(api.ApiNotConfigured):
        c.list_models()


@pytest.mark.parametrize(("body", "message"), [
    ({"name": "", "type": "last_touch"}, v.MSG_NAME_REQUIRED),
    ({"name": "x", "type": "first_touch"}, v.MSG_INVALID_TYPE),
    ({"name": "x", "type": "time_decay", "weighting_config": "48"}, v.MSG_CONFIG_NOT_OBJECT),
    # A JSON list is a PHP array: upstream checks it as a config (tests/golden/v2_create.json).
    ({"name": "x", "type": "time_decay", "weighting_config": [1]}, v.MSG_HALF_LIFE),
    ({"name": "x", "type": "algorithmic"}, v.MSG_CONFIG_REQUIRED),
    ({"name": "x", "type": "time_decay", "weighting_config": {"half_life_hours": -2}}, v.MSG_HALF_LIFE),
    ({"name": "x", "type": "position_based", "weighting_config": {"first_touch_weight": 0.4}},
     v.MSG_POSITION_NUMERIC),
    ({"name": "x", "type": "position_based",
      "weighting_config": {"first_touch_weight": -0.1, "last_touch_weight": 0.4}}, v.MSG_POSITION_RANGE),
    ({"name": "x", "type": "position_based",
      "weighting_config": {"first_touch_weight": 0.7, "last_touch_weight": 0.4}}, v.MSG_POSITION_SUM),
    ({"name": "x", "type": "last_touch", "weighting_config": {"x": 1}}, v.MSG_NO_WEIGHTING),
])
def test_invalid_carries_the_server_message(sandbox: dict[str, Any], body: dict, message: str) -> None:
    with api.V2Client(profile(sandbox["base"])) as c, pytest.raises(api.Invalid) as e:
        c.create_model(body)
    assert e.value.server_message == message and e.value.status == 400 and e.value.exit_code == 1
    assert message in str(e.value)


def test_server_error_non_envelope_and_html(sandbox: dict[str, Any]) -> None:
    def html_500(environ: dict, start_response: Any) -> list[bytes]:
        start_response("500 Internal Server Error", [("Content-Type", "text/html")])
        return [b"<html><body><h1>Slim Application Error</h1></body></html>"]

    server, base = serve_app(html_500)
    try:
        with api.V2Client(profile(base)) as c, pytest.raises(api.ServerError) as e:
            c.list_models()
        assert e.value.status == 500 and "text/html body, not the v2 envelope" in str(e.value)
    finally:
        server.shutdown()
    engine = create_engine(sandbox["url"])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO 202_attribution_models (user_id, model_name, model_slug, "
                          "model_type, is_active, is_default, created_at, updated_at) VALUES "
                          "(1, 'Linear', 'linear', 'linear', 1, 0, 1, 1)"))
    engine.dispose()
    with api.V2Client(profile(sandbox["base"])) as c, pytest.raises(api.ServerError) as e:
        c.list_models()
    assert "Slim Application Error" in str(e.value)
    # the core says why and points at the lint finding
    db = Database(sandbox["url"])
    with api.V2Client(profile(sandbox["base"])) as c:
        listing = core.load_models(c, db, user_id=1)
    db.close()
    assert core.is_server_parse_failure(listing)
    assert "'linear'" in listing.api_error and "models.types" in listing.api_error
    assert [x.model_id for x in listing.models if x.problem]


def test_wrong_route_is_a_clear_error(sandbox: dict[str, Any]) -> None:
    with api.V2Client(profile(sandbox["base"] + "/prosper202")) as c, pytest.raises(api.ServerError) as e:
        c.list_models()
    assert e.value.status == 404 and "api.base_url" in str(e.value)


def test_connection_refused_get_retries_post_does_not() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = api.V2Client(profile(f"http://127.0.0.1:{port}"))
    t0 = time.perf_counter()
    with pytest.raises(api.ApiUnreachable) as e:
        c.list_models()
    get_s = time.perf_counter() - t0
    assert "cannot reach" in str(e.value) and "api.base_url" in str(e.value)
    t0 = time.perf_counter()
    with pytest.raises(api.ApiUnreachable):
        c.create_model({"name": "x", "type": "last_touch"})
    post_s = time.perf_counter() - t0
    c.close()
    assert get_s >= sum(api.RETRY_DELAYS_S)  # two retries with their pauses
    assert post_s < sum(api.RETRY_DELAYS_S)  # never retried


def test_timeout_on_a_socket_that_never_answers() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)  # accepts into the backlog, never reads or answers
    try:
        base = f"http://127.0.0.1:{s.getsockname()[1]}"
        with api.V2Client(profile(base, timeout_s=0.3)) as c, pytest.raises(api.ApiUnreachable) as e:
            c.update_model(1, {"is_active": False})
        assert "no answer" in str(e.value) and "api.timeout_s" in str(e.value)
    finally:
        s.close()


def test_tls_failure(sandbox: dict[str, Any]) -> None:
    base = sandbox["base"].replace("http://", "https://")
    with api.V2Client(profile(base)) as c, pytest.raises(api.ApiUnreachable) as e:
        c.list_models()
    assert "TLS" in str(e.value)


def test_read_only_refuses_writes_before_sending(sandbox: dict[str, Any]) -> None:
    with api.V2Client(profile(sandbox["base"], read_only=True)) as c:
        assert c.list_models()
        for call in (lambda: c.create_model({"name": "x", "type": "last_touch"}),
                     lambda: c.update_model(1, {"is_active": False}),
                     lambda: c.delete_model(1)):
            with pytest.raises(api.ReadOnlyRefused):
                call()
        assert {m["model_id"] for m in c.list_models()} == {1, 2, 3}


# -- the models core ---------------------------------------------------------------------------


def test_merge_marks_models_the_api_hides(sandbox: dict[str, Any]) -> None:
    db = Database(sandbox["url"])
    with api.V2Client(profile(sandbox["base"])) as c:
        listing = core.load_models(c, db)
    db.close()
    by_id = {x.model_id: x for x in listing.models}
    assert listing.user_id == 1 and set(by_id) == {1, 2, 3, 4}
    assert not by_id[4].api_visible and "hidden by the API" in by_id[4].note
    assert all(by_id[i].api_visible for i in (1, 2, 3))


def test_default_deactivation_trap(sandbox: dict[str, Any]) -> None:
    p = profile(sandbox["base"], url=sandbox["url"])
    db = Database(sandbox["url"])
    c = api.V2Client(p)
    listing = core.load_models(c, db)
    default = listing.default
    assert default is not None and default.model_id == 1
    trap = core.plan_deactivate(c, listing, default)
    assert trap.refused and "re-activates" in trap.refused and not trap.noop
    with pytest.raises(ValueError):
        core.execute(trap, c, p)
    # pick the new default first: two PATCHes, both slugs stated
    plan = core.plan_deactivate(c, listing, default, new_default=2)
    assert [s.body for s in plan.requests] == [{"is_default": True}, {"is_active": False}]
    assert any("last-touch-attribution" in e for e in plan.plan.effects)
    out = core.execute(plan, c, p)
    assert out.ok and out.model_after["is_active"] is False
    after = core.load_models(c, db, primary=True)
    assert after.default.model_id == 2 and not after.get(1).is_active
    assert after.get(1).slug == "last-touch-attribution"
    # or clear it explicitly: the user is left with no default
    plan = core.plan_deactivate(c, after, after.default, no_default=True)
    assert plan.requests[0].body == {"is_active": False, "is_default": False}
    assert any("NO default" in e for e in plan.plan.effects)
    assert core.execute(plan, c, p).ok
    assert core.load_models(c, db).default is None
    # every change is in the action log, without the key
    logged = list(actionlog.entries())
    assert [e["action"] for e in logged] == ["models.deactivate", "models.deactivate"]
    assert logged[0]["result"]["responses"][0]["response"]["is_default"] is True
    assert KEY1 not in actionlog.log_path().read_text()
    c.close()
    db.close()


def test_set_default_lists_demotions_and_activate_gives_rebuild(sandbox: dict[str, Any]) -> None:
    p = profile(sandbox["base"], url=sandbox["url"])
    db = Database(sandbox["url"])
    c = api.V2Client(p)
    listing = core.load_models(c, db)
    plan = core.plan_set_default(c, listing, listing.get(4))
    assert any("model 1 “Last Touch Attribution” stops being the default" in e for e in plan.plan.effects)
    assert any("forced active" in e for e in plan.plan.effects)
    activate = core.plan_activate(c, listing, listing.get(4))
    out = core.execute(activate, c, p)
    assert out.ok and out.rebuild_commands
    h = clock.hour(NOW)
    last = out.rebuild_commands[-1]
    assert last.endswith(f"--user=1 --start={h - 86400} --end={h - 1}")
    for cmd in out.rebuild_commands:
        start = int(cmd.split("--start=")[1].split()[0])
        end = int(cmd.split("--end=")[1])
        assert start % 3600 == 0 and (end + 1) % 3600 == 0 and end - start < 86400
    c.close()
    db.close()


def test_client_validation_before_sending(sandbox: dict[str, Any]) -> None:
    p = profile(sandbox["base"], url=sandbox["url"])
    with api.V2Client(p) as c:
        listing = core.load_models(c, None)
        bad = core.plan_create(c, listing, name="Decay", model_type="time_decay",
                               weighting=core.weighting_from_fields("time_decay", half_life="0"))
        assert bad.server_message == v.MSG_HALF_LIFE and bad.refused
        edit = core.plan_update(c, listing, listing.get(3),
                                weighting={"first_touch_weight": 0.8, "last_touch_weight": 0.4})
        assert edit.server_message == v.MSG_POSITION_SUM
        rename = core.plan_update(c, listing, listing.get(2), name="Decay Two Days")
        assert any("time-decay-48h to decay-two-days" in e for e in rename.plan.effects)
    assert not list(actionlog.entries())  # nothing was sent, nothing logged


def test_delete_backs_up_first_and_names_reenabled_scopes(sandbox: dict[str, Any]) -> None:
    engine = create_engine(sandbox["url"])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO 202_attribution_settings (user_id, scope_type, scope_id, "
                          "model_id, multi_touch_enabled, effective_at, created_at, updated_at) "
                          "VALUES (1, 'campaign', 42, 2, 0, 1, 1, 1)"))
        snaps = conn.execute(text("SELECT COUNT(*) FROM 202_attribution_snapshots WHERE model_id=2")).scalar()
    p = profile(sandbox["base"], url=sandbox["url"])
    db = Database(sandbox["url"])
    c = api.V2Client(p)
    listing = core.load_models(c, db)
    plan = core.plan_delete(c, listing, listing.get(2), db)
    assert plan.plan.typed == "Time Decay 48h" and plan.plan.destructive
    assert plan.delete_counts["snapshots"] == snaps and plan.reenabled == ["campaign:42"]
    assert any("re-enables multi-touch" in e for e in plan.plan.effects)
    capped = core.plan_delete(c, listing, listing.get(2), db, cap=5)
    assert capped.refused and "backup cap" in capped.refused
    out = core.execute(plan, c, p, db)
    assert out.ok and out.backup is not None
    doc = json.loads(out.backup.read_text())
    assert doc["counts"]["202_attribution_snapshots"] == snaps
    assert doc["counts"]["202_attribution_touchpoints"] == plan.delete_counts["touchpoints"]
    assert doc["tables"]["202_attribution_settings"][0]["scope_id"] == 42
    assert oct(out.backup.stat().st_mode & 0o777) == "0o600"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM 202_attribution_snapshots WHERE model_id=2")).scalar() == 0
    engine.dispose()
    c.close()
    db.close()


# -- headless ----------------------------------------------------------------------------------


def _cli(args: list[str], sandbox: dict[str, Any], tmp_path: Path, *, user_keys: str = "",
         api_line: bool = True, **extra_env: str) -> subprocess.CompletedProcess:
    config = tmp_path / "config.toml"
    api_ = (f'api = {{ base_url = "{sandbox["base"]}", key_env = "T_KEY", user_id = 1'
            f'{", user_keys = " + user_keys if user_keys else ""} }}\n') if api_line else ""
    config.write_text(
        f'[profiles.sbx]\nenvironment = "staging"\ndb = {{ url = "{sandbox["url"]}" }}\n' + api_)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIBTUI_") or k == "ATTRIBTUI_DATA_DIR"}
    env.update(ATTRIBTUI_CONFIG=str(config), T_KEY=KEY1, ATTRIBTUI_NOW=str(NOW), **extra_env)
    return subprocess.run([sys.executable, "-m", "attribtui.cli", *args], env=env, text=True,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


def test_headless_commands_and_exit_codes(sandbox: dict[str, Any], tmp_path: Path) -> None:
    r = _cli(["models", "list", "--json"], sandbox, tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [(m["model_id"], m["api_visible"], bool(m["read_only"])) for m in doc["models"]] == [
        (4, False, False), (3, True, False), (2, True, False), (1, True, False),
        (6, False, True), (5, False, True)]  # user 2's models, read-only: no key for user 2
    r = _cli(["models", "deactivate", "1", "--yes"], sandbox, tmp_path)
    assert r.returncode == 1 and "--new-default" in r.stderr  # the trap, refused
    r = _cli(["models", "create", "--name", "Bad", "--type", "time_decay", "--half-life", "0",
              "--yes"], sandbox, tmp_path)
    assert r.returncode == 1 and v.MSG_HALF_LIFE in r.stderr
    r = _cli(["models", "set-default", "3"], sandbox, tmp_path)
    assert r.returncode == 1 and "--yes" in r.stderr  # stdin is not a terminal
    r = _cli(["models", "set-default", "3", "--dry-run", "--json"], sandbox, tmp_path)
    assert r.returncode == 0 and "apikey=***" in r.stdout and KEY1 not in r.stdout
    r = _cli(["models", "set-default", "3", "--yes", "--json"], sandbox, tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["model"]["is_default"] is True
    r = _cli(["models", "delete", "2", "--yes"], sandbox, tmp_path)
    assert r.returncode == 1 and "--confirm=Time Decay 48h" in r.stderr
    r = _cli(["models", "activate", "x1"], sandbox, tmp_path)
    assert r.returncode == 64
    for out in (r.stdout, r.stderr):
        assert KEY1 not in out


def test_headless_other_users_dry_run_command_and_user_keys(sandbox: dict[str, Any],
                                                            tmp_path: Path) -> None:
    # no key for user 2: the dry run states the effects and the command to run, key redacted
    r = _cli(["models", "deactivate", "5", "--new-default", "6", "--dry-run"], sandbox, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "model 6 “Time Decay 24h” becomes the default of user 2" in r.stdout
    assert "slug changes from last-touch-default to last-touch-attribution" in r.stdout
    assert "No rebuild needed" in r.stdout
    assert r.stdout.count("curl -sS -X PATCH") == 2 and "${P202_API_KEY_USER2:?" in r.stdout
    r = _cli(["models", "deactivate", "6", "--yes"], sandbox, tmp_path)
    assert r.returncode == 1 and "no API key for user 2" in r.stderr
    assert "curl -sS -X PATCH" in r.stdout and KEY1 not in r.stdout + r.stderr
    # with user 2's key (allowed to manage models here) the change goes through as user 2
    engine = create_engine(sandbox["url"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE 202_api_keys SET scope = :s WHERE user_id = 2"),
                     {"s": '["view_attribution_reports", "manage_attribution_models"]'})
    engine.dispose()
    r = _cli(["models", "deactivate", "6", "--yes", "--json"], sandbox, tmp_path,
             user_keys='{ "2" = "T_KEY2" }', T_KEY2=KEY2)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["model"]["is_active"] is False and doc["model"]["user_id"] == 2
    assert doc["plan"]["changes"] == [{"model_id": 6, "field": "is_active", "before": True,
                                       "after": False}]
    assert KEY2 not in r.stdout + r.stderr and KEY2 not in actionlog.log_path().read_text()


def test_headless_list_without_an_api_is_the_error_alone(sandbox: dict[str, Any],
                                                         tmp_path: Path) -> None:
    unset = ("attribtui: api.base_url is not set for this profile; set it to the Prosper202 "
             "root (e.g. https://p202.example.com)")
    r = _cli(["models", "list"], {"url": "sqlite:///" + str(tmp_path / "none.sqlite"),
                                  "base": ""}, tmp_path, api_line=False)
    assert r.returncode == 3 and r.stdout == ""  # no empty table, no note: the error
    assert r.stderr.strip().splitlines()[-1] == unset
    assert "note:" not in r.stderr
    # with the database, every model is listed from it (read-only), then the error
    r = _cli(["models", "list"], sandbox, tmp_path, api_line=False)
    assert r.returncode == 3 and r.stderr.strip().splitlines() == [unset]
    lines = r.stdout.splitlines()
    assert len(lines) == 7 and all("read-only: no API key" in line for line in lines[1:])


def test_headless_unreachable_is_exit_3(tmp_path: Path) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = _cli(["models", "list"], {"url": "sqlite:///" + str(tmp_path / "none.sqlite"),
                                  "base": f"http://127.0.0.1:{port}"}, tmp_path)
    assert r.returncode == 3 and "cannot reach" in r.stderr


# -- redaction ---------------------------------------------------------------------------------


def test_key_never_in_logs_or_errors(sandbox: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "attribtui.api"):
        caplog.set_level(logging.DEBUG, logger=name)  # even with httpx's own logging turned on
    errors: list[str] = []
    with api.V2Client(profile(sandbox["base"])) as c:
        c.list_models()
        for call in (lambda: c.create_model({"name": ""}),
                     lambda: c.update_model(999999, {"name": "x"})):
            try:
                call()
            except api.ApiError as e:
                errors += [str(e), e.request, repr(e)]
        errors.append(c.describe("GET", "/models"))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with api.V2Client(profile(f"http://127.0.0.1:{port}")) as c:
        try:
            c.list_models()
        except api.ApiError as e:
            errors += [str(e), e.request]
            assert e.__cause__ is None and e.__suppress_context__
    assert any("apikey=***" in e for e in errors)
    assert caplog.records, "expected debug records to inspect"
    for record in caplog.records:
        assert KEY1 not in record.getMessage()
    for text_ in errors:
        assert KEY1 not in text_


def test_delete_on_the_1956_settings_layout_names_the_rows_read_as_disabled(
        sandbox: dict[str, Any]) -> None:
    """Without multi_touch_enabled Prosper202 reads every global/advertiser/campaign row as
    disabled: removing one with the model re-enables multi-touch there; other scopes never
    decide (docs/prosper202.md, "isMultiTouchEnabled")."""
    from attribtui.sandbox.defects import PlantContext
    from attribtui.sandbox.defects.plants.schema import settings_pre_1958

    engine = create_engine(sandbox["url"])
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM 202_attribution_settings WHERE model_id = 2"))
        settings_pre_1958(conn, PlantContext("mysql", NOW, NOW))
        conn.execute(text("INSERT INTO 202_attribution_settings (user_id, scope_type, scope_id, "
                          "model_id, effective_at, created_at, updated_at) VALUES "
                          "(1, 'campaign', 42, 2, 1, 1, 1), (1, 'account', 7, 2, 1, 1, 1)"))
    engine.dispose()
    p = profile(sandbox["base"], url=sandbox["url"])
    db = Database(sandbox["url"])
    c = api.V2Client(p)
    try:
        listing = core.load_models(c, db)
        plan = core.plan_delete(c, listing, listing.get(2), db)
    finally:
        c.close()
        db.close()
    assert plan.reenabled == ["campaign:42"]
    assert any("campaign:42 had DISABLED multi-touch (202_attribution_settings is in the 1.9.56 "
               "layout" in e for e in plan.plan.effects)
