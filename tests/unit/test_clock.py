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


@pytest.mark.parametrize(
    ("text", "limit", "message"),
    [
        ("99999999999d", clock.MAX_DURATION_S, "'99999999999d' is too long; use at most 3650d"),
        ("91d", 90 * clock.DAY, "'91d' is too long; use at most 90d"),
        ("3601", clock.HOUR, "'3601' is too long; use at most 1h"),
        ("9" * 5000 + "s", clock.MAX_DURATION_S, "is too long; use at most 3650d"),
    ],
    ids=["huge", "window", "seconds", "5000-digits"],
)
def test_parse_duration_is_bounded_and_states_the_limit(text: str, limit: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clock.parse_duration(text, limit=limit)
    assert clock.parse_duration("90d", limit=90 * clock.DAY) == 90 * clock.DAY


@pytest.mark.parametrize("bad", ["99999999999", "4102444800", "9999-12-31T23:59:59Z",
                                 "1969-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00",
                                 "9" * 5000],
                         ids=["epoch-5138", "epoch-2100", "year-9999", "before-1970", "year-1",
                              "5000-digits"])
def test_instants_are_bounded_to_1970_2100(bad: str) -> None:
    with pytest.raises(ValueError, match="from 1970-01-01T00:00:00Z to before 2100-01-01T00:00:00Z"):
        clock.parse_instant(bad)
    with pytest.raises(ValueError, match="2100-01-01T00:00:00Z"):
        clock.parse_when(bad)


def test_parse_when_ages_stay_in_range() -> None:
    with pytest.raises(ValueError, match="out of range"):
        clock.parse_when("2d", 1000)  # before 1970
    with pytest.raises(ValueError, match="too long; use at most 3650d"):
        clock.parse_when("99999999999d")
    assert clock.format_duration(90) == "90s" and clock.format_duration(7200) == "2h"
