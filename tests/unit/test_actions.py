"""Confirmation rules (docs/architecture.md, promise 2) and redaction of URLs that carry secrets."""

import pytest

from attribtui.infra.config import Profile
from attribtui.infra.redact import describe_db_url, redact_url, redact_urls_in
from attribtui.services.actions import ActionPlan, typed_requirement


@pytest.mark.parametrize(("env", "typed", "needed"), [
    ("dev", None, None),
    ("staging", "Time Decay 48h", "Time Decay 48h"),
    ("production", None, "prod"),
    ("production", "purge 12", "prod:purge 12"),  # both the profile and the plan's own text
    ("unknown", "Time Decay 48h", "prod:Time Decay 48h"),
])
def test_typed_requirement(env: str, typed: str | None, needed: str | None) -> None:
    profile = Profile(name="prod", environment=env)
    assert typed_requirement(profile, ActionPlan("x", typed=typed)) == needed


@pytest.mark.parametrize(("url", "shown", "described"), [
    ("mysql+pymysql://u:pa/ss?w#rd@db.x:3306/p202", "mysql+pymysql://u:***@db.x:3306/p202",
     "mysql db.x:3306/p202"),
    ("mysql+pymysql://u:p@ss@h/db", "mysql+pymysql://u:***@h/db", "mysql h/db"),
    ("mysql+pymysql://u:secretpw@h:abc/db", "mysql+pymysql://u:***@h:abc/db", "mysql h:abc/db"),
])
def test_passwords_with_url_characters_are_redacted(url: str, shown: str, described: str) -> None:
    assert redact_url(url) == shown
    assert describe_db_url(url) == described


def test_urls_inside_free_text_are_redacted() -> None:
    text = "failed: mysql+pymysql://u:s3cr/t@h/db and 'https://p/api?apikey=K3Y&x=1'"
    assert redact_urls_in(text) == "failed: mysql+pymysql://u:***@h/db and 'https://p/api?apikey=***&x=1'"
