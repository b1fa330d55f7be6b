"""The privilege pre-flight against a real MariaDB user that may only SELECT."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pymysql
import pytest

from attribtui.infra.db import Database, DbDenied
from tests.support import MARIADB_HOST, MARIADB_PORT, create_database, drop_database


@pytest.fixture
def select_only() -> Iterator[tuple[str, str]]:
    """(url of a SELECT-only user, root url) on a fresh database with one table."""
    name, root_url = create_database()
    user = f"ro_{os.getpid()}_{name[-4:]}"
    admin = pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"CREATE TABLE `{name}`.`202_conversion_touchpoints` (id INT PRIMARY KEY)")
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'")
        cur.execute(f"GRANT SELECT ON `{name}`.* TO '{user}'@'%'")
    yield f"mysql+pymysql://{user}:pw@{MARIADB_HOST}:{MARIADB_PORT}/{name}", root_url
    with admin.cursor() as cur:
        cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
    admin.close()
    drop_database(name)


def test_a_select_only_user_is_refused_before_anything_is_written(select_only) -> None:
    url, root_url = select_only
    needs = [("SELECT", "202_conversion_touchpoints"), ("DELETE", "202_conversion_touchpoints"),
             ("INSERT", "202_conversion_touchpoints"), ("UPDATE", "202_conversion_touchpoints")]
    db = Database(url)
    try:
        assert db.missing_privileges(needs) == ["DELETE on 202_conversion_touchpoints",
                                                "INSERT on 202_conversion_touchpoints",
                                                "UPDATE on 202_conversion_touchpoints"]
        with pytest.raises(DbDenied, match=r"^the purge needs DELETE on 202_conversion_touchpoints, "
                                           r"INSERT on 202_conversion_touchpoints, UPDATE on "
                                           r"202_conversion_touchpoints for database user"):
            db.require_privileges(needs, "the purge")
        assert DbDenied.exit_code == 3
    finally:
        db.close()
    root = Database(root_url)
    try:
        assert root.missing_privileges(needs) == []
    finally:
        root.close()
