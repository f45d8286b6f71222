"""Location rules in plain Python: kinds, time zones, opening hours and nearby ranking.

Opening hours are a week of local wall-clock intervals::

    {"mon": [["08:00", "22:00"]], "fri": [["08:00", "12:00"], ["18:00", "02:00"]], ...}

Each day (``mon`` .. ``sun``) lists ``[open, close]`` pairs of ``"HH:MM"``. A close at or
before its open crosses midnight: ``["18:00", "02:00"]`` on ``fri`` is open from Friday 18:00
to Saturday 02:00. ``"24:00"`` is allowed as a close. A missing day is closed all day; no
opening hours at all (``None``) means always open. Times are read in the location's own
time zone, so daylight-saving changes move the UTC instants, never the wall-clock hours.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Any, Protocol, TypeVar

from omniloop.shared.geo import distance_km

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MAX_INTERVALS_PER_DAY = 6
_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")


class LocationKind(StrEnum):
    STORE = "store"
    CENTRAL_KITCHEN = "central_kitchen"
    WAREHOUSE = "warehouse"


class InvalidTimezone(ValueError):
    """Not an IANA time zone name."""


class InvalidOpeningHours(ValueError):
    """Opening hours that do not follow the documented format; the message names the spot."""


# --------------------------------------------------------------------------- time zones


@lru_cache(maxsize=1)
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> str:
    """Return ``name`` when it is an IANA time zone (``Asia/Shanghai``), else raise."""
    if name not in _known_timezones():
        raise InvalidTimezone(f"{name!r} is not an IANA time zone name such as 'Asia/Shanghai'")
    return name


# --------------------------------------------------------------------------- opening hours


@dataclass(frozen=True, order=True)
class Interval:
    """Minutes after local midnight; ``end`` may pass 1440 when the interval crosses midnight."""

    start: int
    end: int

    @property
    def overnight(self) -> bool:
        return self.end > MINUTES_PER_DAY


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _format(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_interval(pair: Any, where: str) -> Interval:
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise InvalidOpeningHours(f"{where}: expected a pair [open, close]")
    opens, closes = pair
    for label, value in (("open", opens), ("close", closes)):
        if not isinstance(value, str) or not _TIME.fullmatch(value):
            raise InvalidOpeningHours(f"{where}: {label} {value!r} is not a time 'HH:MM'")
    if opens == "24:00":
        raise InvalidOpeningHours(f"{where}: a day cannot open at 24:00 (use 00:00)")
    start, end = _minutes(opens), _minutes(closes)
    if end <= start:
        end += MINUTES_PER_DAY
    return Interval(start, end)


def parse_opening_hours(raw: Mapping[str, Any]) -> dict[str, tuple[Interval, ...]]:
    """Validate opening hours strictly; returns each listed day's intervals, sorted."""
    if not isinstance(raw, Mapping):
        raise InvalidOpeningHours("expected an object keyed by weekday ('mon' .. 'sun')")
    week: dict[str, tuple[Interval, ...]] = {}
    for day, pairs in raw.items():
        if day not in WEEKDAYS:
            raise InvalidOpeningHours(f"{day!r} is not a weekday; use one of {', '.join(WEEKDAYS)}")
        if not isinstance(pairs, list | tuple):
            raise InvalidOpeningHours(f"{day}: expected a list of [open, close] pairs")
        if len(pairs) > MAX_INTERVALS_PER_DAY:
            raise InvalidOpeningHours(f"{day}: at most {MAX_INTERVALS_PER_DAY} intervals a day")
        intervals = sorted(_parse_interval(p, f"{day}[{i}]") for i, p in enumerate(pairs))
        for before, after in pairwise(intervals):
            if after.start < before.end:
                raise InvalidOpeningHours(
                    f"{day}: intervals overlap ({_format(before.start)} and {_format(after.start)})"
                )
        week[day] = tuple(intervals)
    return week


def normalize_opening_hours(raw: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """The stored form: validated, days in week order, each day's pairs sorted by opening."""
    parse_opening_hours(raw)
    return {
        day: sorted(([str(p[0]), str(p[1])] for p in raw[day]), key=lambda p: _minutes(p[0]))
        for day in WEEKDAYS
        if day in raw
    }


def is_open(opening_hours: Mapping[str, Any] | None, tz: str, at: datetime) -> bool:
    """Whether a location with these hours in time zone ``tz`` is open at instant ``at``.

    ``at`` must be timezone-aware. Today's intervals count, and so do yesterday's intervals
    that run past midnight.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("'at' must be a timezone-aware datetime")
    if opening_hours is None:
        return True
    week = parse_opening_hours(opening_hours)
    local = at.astimezone(zoneinfo.ZoneInfo(tz))
    now = local.hour * 60 + local.minute
    today = WEEKDAYS[local.weekday()]
    yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
    if any(i.start <= now < i.end for i in week.get(today, ())):
        return True
    return any(now < i.end - MINUTES_PER_DAY for i in week.get(yesterday, ()) if i.overnight)


# --------------------------------------------------------------------------- nearby ranking


class Positioned(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lng(self) -> float: ...


P = TypeVar("P", bound=Positioned)


def rank_by_distance(
    lat: float, lng: float, candidates: Iterable[P], *, radius_km: float
) -> list[tuple[P, float]]:
    """Candidates within ``radius_km`` of (lat, lng) with their distance, nearest first.

    Sorted on the exact distance, then on code so that equal distances keep a stable order.
    """
    within = []
    for candidate in candidates:
        distance = distance_km(lat, lng, candidate.lat, candidate.lng)
        if distance <= radius_km:
            within.append((candidate, distance))
    within.sort(key=lambda pair: (pair[1], pair[0].code))
    return within
