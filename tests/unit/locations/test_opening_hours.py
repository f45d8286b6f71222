"""Opening hours: the weekly format, midnight crossing and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from omniloop.locations.domain import (
    InvalidOpeningHours,
    InvalidTimezone,
    is_open,
    normalize_opening_hours,
    validate_timezone,
)

SHANGHAI = "Asia/Shanghai"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def shanghai(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """The UTC instant of a Shanghai wall-clock time."""
    local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(SHANGHAI))
    return local.astimezone(UTC)


def test_no_opening_hours_means_always_open():
    assert is_open(None, SHANGHAI, utc(2024, 6, 5, 3, 0))


def test_empty_week_means_never_open():
    assert not is_open({}, SHANGHAI, utc(2024, 6, 5, 3, 0))


def test_open_between_open_and_close_in_local_time():
    hours = {"wed": [["08:00", "22:00"]]}
    # 2024-06-05 is a Wednesday.
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 7, 59))
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 8, 0))
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 21, 59))
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 22, 0))


def test_a_missing_day_is_closed():
    hours = {"wed": [["08:00", "22:00"]]}
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 6, 12, 0))  # Thursday


def test_the_same_utc_instant_is_judged_in_each_locations_own_time_zone():
    hours = {"wed": [["08:00", "22:00"]]}
    instant = utc(2024, 6, 5, 12, 0)  # 20:00 in Shanghai, 08:00 in New York, 21:00 in Tokyo
    assert is_open(hours, "Asia/Shanghai", instant)
    assert is_open(hours, "America/New_York", instant)
    assert not is_open(hours, "America/Los_Angeles", instant)  # 05:00


def test_an_interval_closing_before_it_opens_runs_past_midnight_into_the_next_day():
    hours = {"fri": [["18:00", "02:00"]]}
    # 2024-06-07 is a Friday.
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 7, 17, 59))
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 7, 23, 30))
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 8, 0, 0))
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 8, 1, 59))
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 8, 2, 0))
    # Thursday night is not covered by Friday's interval.
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 7, 1, 0))


def test_sunday_night_runs_into_monday_morning():
    hours = {"sun": [["20:00", "03:00"]]}
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 10, 2, 0))  # Monday 02:00
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 10, 3, 0))


def test_twenty_four_hundred_closes_at_the_end_of_the_day():
    hours = {"wed": [["00:00", "24:00"]]}
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 0, 0))
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 23, 59))
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 6, 0, 0))


def test_equal_open_and_close_means_twenty_four_hours_from_the_opening():
    hours = {"wed": [["06:00", "06:00"]]}
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 6, 0))
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 6, 5, 59))
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 6, 6, 0))


def test_several_intervals_a_day_leave_the_gaps_closed():
    hours = {"wed": [["14:00", "20:00"], ["07:00", "11:00"]]}
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 10, 0))
    assert not is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 12, 0))
    assert is_open(hours, SHANGHAI, shanghai(2024, 6, 5, 15, 0))


def test_hours_follow_the_wall_clock_when_daylight_saving_starts():
    # Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on Sunday 2024-03-31.
    hours = {"sat": [["09:00", "17:00"]], "sun": [["09:00", "17:00"]]}
    assert not is_open(hours, "Europe/Berlin", utc(2024, 3, 30, 7, 30))  # Sat 08:30 CET
    assert is_open(hours, "Europe/Berlin", utc(2024, 3, 30, 8, 30))  # Sat 09:30 CET
    assert is_open(hours, "Europe/Berlin", utc(2024, 3, 31, 7, 30))  # Sun 09:30 CEST
    assert not is_open(hours, "Europe/Berlin", utc(2024, 3, 31, 15, 30))  # Sun 17:30 CEST


def test_an_overnight_interval_spanning_the_daylight_saving_switch_keeps_its_wall_clock_close():
    hours = {"sat": [["22:00", "04:00"]]}
    assert is_open(hours, "Europe/Berlin", utc(2024, 3, 31, 1, 30))  # Sun 03:30 CEST
    assert not is_open(hours, "Europe/Berlin", utc(2024, 3, 31, 2, 0))  # Sun 04:00 CEST


def test_the_repeated_hour_when_daylight_saving_ends_is_open_both_times():
    # New York repeats 01:00-02:00 on Sunday 2024-11-03 (EDT, then EST).
    hours = {"sun": [["01:00", "02:00"]]}
    assert is_open(hours, "America/New_York", utc(2024, 11, 3, 5, 30))  # 01:30 EDT
    assert is_open(hours, "America/New_York", utc(2024, 11, 3, 6, 30))  # 01:30 EST
    assert not is_open(hours, "America/New_York", utc(2024, 11, 3, 7, 30))  # 02:30 EST


def test_is_open_refuses_a_naive_time():
    with pytest.raises(ValueError):
        is_open(None, SHANGHAI, datetime(2024, 6, 5, 12, 0))


def test_normalized_hours_list_days_in_week_order_and_intervals_by_opening():
    raw = {"sun": [["10:00", "12:00"]], "mon": [["18:00", "02:00"], ["08:00", "12:00"]]}
    assert normalize_opening_hours(raw) == {
        "mon": [["08:00", "12:00"], ["18:00", "02:00"]],
        "sun": [["10:00", "12:00"]],
    }
    assert list(normalize_opening_hours(raw)) == ["mon", "sun"]


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"friday": [["08:00", "12:00"]]}, "not a weekday"),
        ({"fri": "08:00-12:00"}, "list of [open, close] pairs"),
        ({"fri": [["08:00"]]}, "fri[0]: expected a pair"),
        ({"fri": [["08:00", "12:00", "13:00"]]}, "expected a pair"),
        ({"fri": [["8:00", "12:00"]]}, "open '8:00' is not a time"),
        ({"fri": [["08:00", "25:00"]]}, "close '25:00' is not a time"),
        ({"fri": [["08:00", "12:60"]]}, "is not a time"),
        ({"fri": [["08:00", 1200]]}, "is not a time"),
        ({"fri": [["24:00", "02:00"]]}, "cannot open at 24:00"),
        ({"fri": [["08:00", "12:00"], ["11:00", "14:00"]]}, "overlap"),
        ({"fri": [["18:00", "02:00"], ["20:00", "23:00"]]}, "overlap"),
        ({"fri": [["00:00", "01:00"]] * 7}, "at most 6"),
        ([["08:00", "12:00"]], "expected an object"),
    ],
)
def test_malformed_opening_hours_are_refused_with_where_and_why(hours, message):
    with pytest.raises(InvalidOpeningHours, match=message.replace("[", r"\[")):
        normalize_opening_hours(hours)


@pytest.mark.parametrize("name", ["Asia/Shanghai", "Europe/Berlin", "UTC", "America/New_York"])
def test_iana_time_zones_are_accepted(name):
    assert validate_timezone(name) == name


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "America", "asia/shanghai", "../etc/passwd", "+08:00", "CST "]
)
def test_anything_else_is_not_a_time_zone(name):
    with pytest.raises(InvalidTimezone):
        validate_timezone(name)


def test_the_domain_module_imports_neither_web_nor_database_code():
    import ast
    import inspect

    import omniloop.locations.domain as domain

    tree = ast.parse(inspect.getsource(domain))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert not imported & {"fastapi", "sqlalchemy", "pydantic", "starlette"}
