"""attribtui's rules that read MariaDB against upstream's own answers (tests/golden/).

Each test loads the golden inputs into a fresh database (the same tables and, for settings_1956,
the 1.9.56 settings layout), then runs ours: the journey rule and our candidate SQL, multi-touch
settings through queries/settings.py, and the order a user's models are hydrated in.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine

from tests.golden_support import RULES, Context, check_rule, create_tables, load, reader

pytestmark = pytest.mark.mariadb


@pytest.mark.parametrize("name", ["journey", "settings", "settings_1956", "model_order"])
def test_rule_matches_upstream(name: str, fresh_db: Callable[[], str]) -> None:
    rule = RULES[name]
    engine = create_engine(fresh_db())
    try:
        with engine.connect() as conn:
            create_tables(conn, rule.layout)
            conn.commit()
            ctx = Context(read=reader(conn), conn=conn, extra={"layout": rule.layout})
            cases = [c["input"] for c in load(name)["cases"]]
            assert rule.prepare is not None
            rule.prepare(ctx, list(enumerate(cases)))
            check_rule(name, ctx)
    finally:
        engine.dispose()
