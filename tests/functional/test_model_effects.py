"""Every model plan states what the API really does: the plan's changes against the rows the
emulator left, for each action, including the re-asserted default (docs/prosper202.md,
"Defaults", "Slugs", "PATCH and DELETE")."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from attribtui.infra import api, clock
from attribtui.infra.config import ApiConfig, DbConfig, Profile
from attribtui.infra.db import Database
from attribtui.prosper.models import ModelRow
from attribtui.sandbox import emulator
from attribtui.services import models as core
from attribtui.services.models import effects
from tests.support import NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb

KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()
TRAP = ["models_two_defaults", "models_default_inactive"]  # 2 and 4 default, 4 inactive


@pytest.fixture(params=["none", "trap"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    from attribtui.sandbox.seed import seed

    clock.freeze(NOW)
    name, url = create_database()
    seed(url, conversions=60, now=NOW, defects="none" if request.param == "none" else TRAP)
    server, _thread = emulator.serve(url)
    yield {"url": url, "base": emulator.base_url(server), "case": request.param}
    server.shutdown()
    server.server_close()
    drop_database(name)
    clock.freeze(None)


def rows(url: str) -> list[ModelRow]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [ModelRow.from_mapping(dict(r._mapping)) for r in conn.execute(text(
            "SELECT * FROM 202_attribution_models WHERE user_id = 1 ORDER BY model_id"))]
    engine.dispose()
    return found


Planner = Callable[[api.V2Client, core.ModelList, Database], core.ModelAction]
ACTIONS: dict[str, Planner] = {
    "activate 4": lambda c, ls, db: core.plan_activate(c, ls, ls.get(4)),
    "deactivate 3": lambda c, ls, db: core.plan_deactivate(c, ls, ls.get(3)),
    "set-default 3": lambda c, ls, db: core.plan_set_default(c, ls, ls.get(3)),
    "create default": lambda c, ls, db: core.plan_create(
        c, ls, name="Last Touch Attribution", model_type="last_touch", is_default=True),
    "update 2": lambda c, ls, db: core.plan_update(
        c, ls, ls.get(2), name="Decay Two Days", weighting={"half_life_hours": 36}),
    "delete 2": lambda c, ls, db: core.plan_delete(c, ls, ls.get(2), db),
    "deactivate default 2 via 3": lambda c, ls, db: core.plan_deactivate(
        c, ls, ls.get(2), new_default=3) if ls.get(2).is_default else core.plan_deactivate(
        c, ls, ls.get(1), new_default=3),
}


@pytest.mark.parametrize("name", list(ACTIONS))
def test_plan_states_what_the_api_does(sandbox: dict[str, Any], name: str) -> None:
    p = Profile(name="sbx", environment="staging", db=DbConfig(url=sandbox["url"]),
                api=ApiConfig(base_url=sandbox["base"], key=KEY1, user_id=1))
    db = Database(sandbox["url"])
    with api.V2Client(p) as c:
        listing = core.load_models(c, db)
        action = ACTIONS[name](c, listing, db)
        assert not action.refused and not action.noop, action.plan.effects
        before = rows(sandbox["url"])
        out = core.execute(action, c, p, db)
    db.close()
    assert out.ok, out.message
    after = rows(sandbox["url"])
    created = {r.model_id for r in after} - {r.model_id for r in before}
    real = [effects.Change(0 if c.model_id in created else c.model_id, c.field, c.before, c.after)
            for c in effects.changes(before, after)]
    def order(c: effects.Change) -> tuple[int, str]:
        return c.model_id, c.field

    assert sorted(real, key=order) == sorted(action.changes, key=order)
    assert real  # every action here changes something
    text_ = "\n".join(action.plan.effects)
    for change in action.changes:  # every change is said in words
        if change.field == "is_default" and not change.after:
            assert f"model {change.model_id} " in text_ and (
                "stops being the default" in text_ or "no longer the default" in text_)
        if change.field == "is_active" and change.after:
            assert "becomes ACTIVE" in text_
        if change.field == "slug":
            assert f"from {change.before} to {change.after}" in text_
    assert ("Rebuild needed" in text_) == (action.rebuild is not None)
    assert action.rebuild is not None or "o rebuild needed" in text_


def test_activating_an_inactive_flagged_default_says_it_takes_the_default(
        sandbox: dict[str, Any]) -> None:
    if sandbox["case"] != "trap":
        pytest.skip("the trap needs model 4 flagged default while model 2 is the default")
    p = Profile(name="sbx", environment="staging", db=DbConfig(url=sandbox["url"]),
                api=ApiConfig(base_url=sandbox["base"], key=KEY1, user_id=1))
    db = Database(sandbox["url"])
    with api.V2Client(p) as c:
        listing = core.load_models(c, db)
        action = core.plan_activate(c, listing, listing.get(4))
        text_ = "\n".join(action.plan.effects)
        assert "model 2 “Time Decay 48h” stops being the default when model 4" in text_
        assert "re-asserts it" in text_ and "becomes ACTIVE" in text_
        assert "User 1 goes from 2 defaults to one." in text_
        assert core.execute(action, c, p, db).ok
        audit = core.read_audit(db, 1, model_id=2)
    db.close()
    # model 2's audit tab shows the promotion that took its default
    assert audit[0].model_id == 4 and audit[0].demoted == 2
