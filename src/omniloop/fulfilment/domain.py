"""Redemption and delivery-note rules, in plain Python.

Redemption: one endpoint per location takes whatever the customer shows (typed digits or
the scanned QR payload) and :func:`recognise` says what kind of code it is: a pickup code
(10 digits, or ``omniloop:pickup:<location>:<number>:<code>``) or a voucher code (12 digits
starting with 9, or ``omniloop:voucher:<code>``; see :mod:`omniloop.vouchers.domain`). The
endpoint dispatches on the kind.

Brute force: a location that saw :data:`MAX_WRONG_CODES` wrong codes within
:data:`WRONG_CODE_WINDOW` is locked for :data:`LOCKOUT_COOLDOWN` after the last of them
(:func:`locked_until`). The attempts come from the database log, so every process agrees.

Delivery ETA: preparation (:data:`BASE_PREPARATION_MINUTES` plus
:data:`MINUTES_PER_ITEM` per unit, at most :data:`MAX_PREPARATION_MINUTES`; none once the
order is ready) plus the straight-line distance at :data:`COURIER_SPEED_KMH`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote

import omniloop.vouchers.domain as vouchers

# --------------------------------------------------------------------------- codes

PICKUP_CODE_PATTERN = re.compile(r"^[0-9]{10}$")
PICKUP_QR_PREFIX = "omniloop:pickup:"
_SEPARATORS = re.compile(r"[\s\-]+")
MAX_CODE_LENGTH = 200


class CodeKind(StrEnum):
    PICKUP = "pickup"
    VOUCHER = "voucher"


class Outcome(StrEnum):
    """How a redemption attempt ended (the ``redemption_attempt.outcome`` column)."""

    SUCCESS = "success"
    WRONG_CODE = "wrong_code"
    USED = "used"
    LOCKED = "locked"
    NOT_READY = "not_ready"
    MALFORMED = "malformed"
    EXPIRED = "expired"
    VOID = "void"
    NOT_VALID_HERE = "not_valid_here"
    REFUSED = "refused"
    """A voucher asked for more than it allows (over its balance, or in part when whole)."""


class UnrecognisedCode(ValueError):
    """The text is no kind of code we issue (a typing slip, not a guess)."""


@dataclass(frozen=True)
class RecognisedCode:
    kind: CodeKind
    value: str
    location: str | None = None
    """The location a scanned QR payload names (typed digits name none)."""
    order_number: str | None = None


def recognise(raw: str) -> RecognisedCode:
    """What kind of code ``raw`` is; spaces and dashes typed between digits are ignored, and
    full-width digits (typed with a Chinese input method) count as digits."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if text.startswith(PICKUP_QR_PREFIX):
        parts = text[len(PICKUP_QR_PREFIX) :].rsplit(":", 2)
        if len(parts) == 3 and PICKUP_CODE_PATTERN.match(parts[2]) and parts[0] and parts[1]:
            return RecognisedCode(CodeKind.PICKUP, parts[2], parts[0], parts[1])
        raise UnrecognisedCode("the scanned pickup QR code is damaged")
    if text.startswith(vouchers.QR_PREFIX):
        try:
            return RecognisedCode(CodeKind.VOUCHER, vouchers.parse_code(text))
        except vouchers.UnrecognisedVoucherCode as exc:
            raise UnrecognisedCode(str(exc)) from None
    digits = _SEPARATORS.sub("", text)
    if PICKUP_CODE_PATTERN.match(digits):
        return RecognisedCode(CodeKind.PICKUP, digits)
    if vouchers.CODE_PATTERN.match(digits):
        return RecognisedCode(CodeKind.VOUCHER, digits)
    raise UnrecognisedCode(
        "not a pickup code (10 digits), a voucher code (12 digits from 9) or their QR codes"
    )


def code_hint(raw: str) -> str:
    """What the attempt log keeps of a code: its length and last two characters, never the
    whole code (a log of wrong guesses must not become a list of near-valid codes)."""
    text = _SEPARATORS.sub("", raw.strip())[-64:]
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 2) + text[-2:]


# --------------------------------------------------------------------------- lockout

MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = timedelta(minutes=10)
LOCKOUT_COOLDOWN = timedelta(minutes=10)
LOOKBACK = WRONG_CODE_WINDOW + LOCKOUT_COOLDOWN
"""How far back :func:`locked_until` needs to see wrong attempts."""


def locked_until(wrong_attempts: Iterable[datetime], *, now: datetime) -> datetime | None:
    """When the location's redemption unlocks, or None when it is not locked.

    Locked while some run of :data:`MAX_WRONG_CODES` wrong codes fitting in
    :data:`WRONG_CODE_WINDOW` ended less than :data:`LOCKOUT_COOLDOWN` ago.
    """
    times = sorted(wrong_attempts)
    until: datetime | None = None
    for i in range(MAX_WRONG_CODES - 1, len(times)):
        if times[i] - times[i - MAX_WRONG_CODES + 1] <= WRONG_CODE_WINDOW:
            end = times[i] + LOCKOUT_COOLDOWN
            if end > now and (until is None or end > until):
                until = end
    return until


def retry_after_seconds(until: datetime, *, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def attempts_left(wrong_attempts: Iterable[datetime], *, now: datetime) -> int:
    """Wrong codes the location may still enter before it locks."""
    recent = [t for t in wrong_attempts if now - t <= WRONG_CODE_WINDOW]
    return max(0, MAX_WRONG_CODES - len(recent))


# --------------------------------------------------------------------------- delivery note

BASE_PREPARATION_MINUTES = 10
MINUTES_PER_ITEM = 1
MAX_PREPARATION_MINUTES = 60
COURIER_SPEED_KMH = 15.0

_PREPARED = frozenset({"ready", "out_for_delivery", "delivered", "completed"})
_ON_THE_WAY = frozenset({"out_for_delivery"})
_ARRIVED = frozenset({"delivered", "completed"})


@dataclass(frozen=True)
class Eta:
    preparation_minutes: int
    travel_minutes: int
    minutes: int
    at: datetime


def preparation_minutes(units: int) -> int:
    return min(MAX_PREPARATION_MINUTES, BASE_PREPARATION_MINUTES + MINUTES_PER_ITEM * units)


def travel_minutes(distance_km: float) -> int:
    return math.ceil(distance_km / COURIER_SPEED_KMH * 60)


def estimate_eta(
    *,
    status: str,
    units: int,
    distance_km: float,
    now: datetime,
    dispatched_at: datetime | None = None,
) -> Eta:
    """Minutes until the customer has the order, counted from now (from the dispatch for an
    order on its way); preparation is skipped once ready, travel once delivered."""
    prep = 0 if status in _PREPARED else preparation_minutes(units)
    travel = 0 if status in _ARRIVED else travel_minutes(distance_km)
    start = dispatched_at if status in _ON_THE_WAY and dispatched_at is not None else now
    return Eta(prep, travel, prep + travel, start + timedelta(minutes=prep + travel))


def navigation_url(from_lat: float, from_lng: float, to_lat: float, to_lng: float) -> str:
    """An OpenStreetMap bicycle route from the store to the customer."""
    route = f"{from_lat:.6f},{from_lng:.6f};{to_lat:.6f},{to_lng:.6f}"
    return "https://www.openstreetmap.org/directions?engine=fossgis_osrm_bike&route=" + quote(
        route, safe=","
    )


FULL_PHONE_ROLES = frozenset({"owner", "integrator"})


def sees_full_phone(role: str) -> bool:
    """Owners and integrators (who run the courier hand-off) see the customer's number;
    store staff and operators get it masked (the note is printed and handed around)."""
    return role in FULL_PHONE_ROLES
