import pytest

from attribtui.infra import clock


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90m", 5400), ("24h", 86400), ("7d", 604800), ("2w", 1209600), ("3600", 3600), ("45s", 45)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert clock.parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "abc", "-5m", "0h", "5y", "1.5h"])
def test_parse_duration_rejects_with_a_fix(bad: str) -> None:
    with pytest.raises(ValueError, match="e.g. 90m, 24h, 7d"):
        clock.parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("1795696496", 1795696496),
        ("2026-11-26T12:34:56Z", 1795696496),
        ("2026-11-26T12:34:56", 1795696496),
        ("2026-11-26 12:34:56", 1795696496),
        ("2026-11-26T13:34:56+01:00", 1795696496),
    ],
)
def test_parse_instant(text: str, epoch: int) -> None:
    assert clock.parse_instant(text) == epoch


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "12:00", "1e9"])
def test_parse_instant_rejects_with_a_fix(bad: str) -> None:
    with pytest.raises(ValueError, match="epoch seconds or ISO-8601"):
        clock.parse_instant(bad)


def test_freeze_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clock.freeze(1000)
    try:
        assert clock.now() == 1000
    finally:
        clock.freeze(None)
    monkeypatch.setenv("ATTRIBTUI_NOW", "2026-11-26T12:34:56Z")
    assert clock.now() == 1795696496


def test_hour_and_describe() -> None:
    assert clock.hour(1795696496) == 1795694400
    assert clock.iso(1795696496) == "2026-11-26T12:34:56Z"
    assert clock.describe(1795696496 - 3 * 3600 - 300, 1795696496).endswith("(3 h 5 min ago)")
    assert clock.ago(2 * 86400 + 4 * 3600) == "2 d 4 h"
    assert clock.describe(None) == "never"


def test_parse_when_takes_instants_now_and_ages() -> None:
    assert clock.parse_when("now", 1000) == 1000
    assert clock.parse_when("24h", 100000) == 100000 - 86400
    assert clock.parse_when("-90m", 10000) == 10000 - 5400
    assert clock.parse_when("2026-11-26T12:34:56Z") == 1795696496
    with pytest.raises(ValueError, match="epoch seconds or ISO-8601"):
        clock.parse_when("soon")
