"""202_attribution_settings in the 1.9.56 layout (no multi_touch_* columns), read as Prosper202
reads it: every global/advertiser/campaign row is multi-touch DISABLED (Setting::fromDatabaseRow
casts the missing column to 0) and purge-disabled-journeys.php dies on its first query
(docs/prosper202.md, "isMultiTouchEnabled" and "purge-disabled-journeys.php")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from attribtui import checks
from attribtui.infra.config import DbConfig, JobsConfig, Profile
from attribtui.infra.db import Database
from attribtui.prosper.settings import SettingRow
from attribtui.queries.settings import has_toggles, settings_rows
from attribtui.services import journeys
from attribtui.services.jobs import preflight
from attribtui.services.jobs.command import JobRequest, last_hours
from tests.support import NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb


@pytest.fixture(scope="module")
def old_layout() -> Iterator[str]:
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    seed(url, conversions=300, now=NOW, defects=["settings_pre_1958"])
    yield url
    drop_database(name)


def run(url: str, only: list[str]) -> dict[str, checks.CheckResult]:
    db = Database(url)
    try:
        return {r.id: r for r in checks.run_checks(checks.CheckContext(db=db, now=NOW),
                                                   checks.select(only))}
    finally:
        db.close()


def rows_of(url: str, sql: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).all()
    finally:
        engine.dispose()


def test_the_layout_is_probed_and_every_row_reads_disabled(old_layout: str, clean_url: str,
                                                          tmp_path: Path) -> None:
    db, clean = Database(old_layout), Database(clean_url)
    try:
        assert has_toggles(clean.reader()) is True
        assert has_toggles(db.reader()) is False
        rows = settings_rows(db.reader(), [1, 2])
        assert rows[1] and all(not r.multi_touch_enabled for r in rows[1])
        assert SettingRow("global", None, False, "global") in rows[1]
    finally:
        db.close()
        clean.close()
    # SQLite (the demo) answers the probe the same way
    from attribtui.sandbox.seed import seed

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    seed(url, conversions=120, now=NOW, defects=["settings_pre_1958"])
    lite = Database(url)
    try:
        assert has_toggles(lite.reader()) is False
    finally:
        lite.close()


def test_checks_say_what_upstream_does(old_layout: str, frozen_clock: int) -> None:
    res = run(old_layout, ["settings", "journeys"])
    disabled = res["settings.disabled"]
    assert disabled.status == "warn"
    assert "reads every row of it as multi-touch DISABLED" in disabled.details
    assert "purge-disabled-journeys.php dies on its first query" in disabled.details
    assert {row[3] for row in disabled.evidence["rows"]} == {"global", "campaign:5"}
    fix = disabled.remediation
    assert "1.9.57 -> 1.9.58 block of 202-config/functions-upgrade.php" in fix
    assert "mysqldump prosper202 202_attribution_settings" in fix
    assert "backfill-conversion-journeys.php --user=1" in fix
    # journeyless conversions in a scope with a row are what upstream intends on this layout
    missing = res["journeys.missing"]
    assert missing.status == "ok"
    assert "which Prosper202 reads as disabled" in missing.details
    # the duplicate-row check reads the toggle as upstream does: off
    assert res["settings.duplicates"].status == "ok"


def test_the_journey_lookup_says_a_backfill_would_skip_it(old_layout: str,
                                                          frozen_clock: int) -> None:
    conv_id = rows_of(old_layout, "SELECT l.conv_id FROM `202_conversion_logs` l WHERE "
                                  "l.user_id = 1 AND l.deleted = 0 AND EXISTS (SELECT 1 FROM "
                                  "`202_conversion_touchpoints` t WHERE t.conv_id = l.conv_id) "
                                  "ORDER BY l.conv_id DESC LIMIT 1")[0][0]
    db = Database(old_layout)
    try:
        [report] = journeys.lookup(db, [conv_id])
        journeys.enrich(db, Profile(name="old", environment="staging",
                                    db=DbConfig(url=old_layout)), report)
    finally:
        db.close()
    rec = report.recomputed
    assert rec is not None and not rec.enabled and rec.old_settings_layout
    assert rec.verdict.startswith("A backfill would skip it: multi-touch disabled for ")
    assert "(its row reads as disabled: 202_attribution_settings is in the 1.9.56 layout)" in rec.scope
    [finding] = [f for f in report.findings if f.code == "disabled_but_stored"]
    assert "purge-disabled-journeys.php cannot delete them" in finding.message
    assert journeys.to_json(report)["recomputed"]["old_settings_layout"] is True


def test_the_backfill_preflight_warns(old_layout: str, clean_url: str, frozen_clock: int) -> None:
    start, end = last_hours(6 * 3600, NOW)
    req = JobRequest("backfill", start, end, user=1)
    for url, expect in ((old_layout, True), (clean_url, False)):
        prof = Profile(name="pf", environment="dev", db=DbConfig(url=url),
                       jobs=JobsConfig(runner="sandbox"))
        pf = preflight.run(prof, req)
        notes = [f for f in pf.findings if f.code == "settings.layout"]
        assert bool(notes) == expect
        if expect:
            assert notes[0].level == "warn" and pf.ok  # a warning, not a refusal
            assert "the backfill skips every conversion" in notes[0].text
