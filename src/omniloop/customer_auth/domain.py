"""Customer sign-in rules, in plain Python: one-time codes, their limits, token shapes.

A customer proves a phone number with a six-digit code sent by SMS. Codes are drawn from
``secrets``, kept only as an HMAC under the merchant's ``otp`` secret, live
``settings.otp_ttl_seconds`` and work once. Only the latest code sent to a phone counts.

Limits, counted from the database so that every process agrees:

- sending: one code per phone per :data:`RESEND_INTERVAL` and :data:`MAX_CODES_PER_HOUR`
  per hour (:func:`next_send_at`);
- pumping: ``settings.otp_max_per_client_per_hour`` codes an hour to any phones from one
  client address
  (:func:`client_send_at`), so a script cannot run up the merchant's SMS bill by cycling
  through phone numbers;
- guessing: :data:`MAX_WRONG_ATTEMPTS` wrong codes kill a challenge; with the sending limit
  that leaves an attacker 25 guesses an hour out of a million codes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import uuid
from datetime import datetime, timedelta
from enum import StrEnum

OTP_DIGITS = 6
RESEND_INTERVAL = timedelta(seconds=60)
SEND_WINDOW = timedelta(hours=1)
MAX_CODES_PER_HOUR = 5
MAX_WRONG_ATTEMPTS = 5

TOKEN_ISSUER = "omniloop"
TOKEN_ALGORITHM = "HS256"
CUSTOMER_ROLE = "customer"

_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def new_otp() -> str:
    """A uniformly random six-digit code (leading zeros kept)."""
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def otp_digest(secret: bytes, *, challenge_id: uuid.UUID, phone: str, code: str) -> str:
    """What is stored of a code: an HMAC bound to its challenge and phone."""
    message = f"{challenge_id}:{phone}:{code}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def otp_matches(
    secret: bytes, *, challenge_id: uuid.UUID, phone: str, code: str, digest: str
) -> bool:
    expected = otp_digest(secret, challenge_id=challenge_id, phone=phone, code=code)
    return hmac.compare_digest(expected, digest)


def client_send_at(sent: list[datetime], *, now: datetime, limit: int) -> datetime | None:
    """When a client that asked for codes at ``sent`` (any phones) may ask again, or None
    while it has asked fewer than ``limit`` within the :data:`SEND_WINDOW`."""
    recent = sorted(t for t in sent if now - t < SEND_WINDOW)
    if len(recent) < limit:
        return None
    return recent[-limit] + SEND_WINDOW


def next_send_at(sent: list[datetime], *, now: datetime) -> datetime | None:
    """When the phone may be sent another code, or None when it may be now.

    ``sent`` are the times codes went to the phone within the last :data:`SEND_WINDOW`."""
    recent = sorted(t for t in sent if now - t < SEND_WINDOW)
    waits: list[datetime] = []
    if recent and now - recent[-1] < RESEND_INTERVAL:
        waits.append(recent[-1] + RESEND_INTERVAL)
    if len(recent) >= MAX_CODES_PER_HOUR:
        waits.append(recent[-MAX_CODES_PER_HOUR] + SEND_WINDOW)
    return max(waits) if waits else None


def seconds_until(moment: datetime, *, now: datetime) -> int:
    """Whole seconds to wait (at least 1): what ``Retry-After`` says."""
    return max(1, math.ceil((moment - now).total_seconds()))


class ChallengeState(StrEnum):
    """Why a code is (not) accepted."""

    LIVE = "live"
    EXPIRED = "expired"
    USED = "used"
    EXHAUSTED = "exhausted"


def challenge_state(
    *, expires_at: datetime, consumed_at: datetime | None, wrong_attempts: int, now: datetime
) -> ChallengeState:
    if consumed_at is not None:
        return ChallengeState.USED
    if wrong_attempts >= MAX_WRONG_ATTEMPTS:
        return ChallengeState.EXHAUSTED
    if now >= expires_at:
        return ChallengeState.EXPIRED
    return ChallengeState.LIVE


def attempts_left(wrong_attempts: int) -> int:
    return max(0, MAX_WRONG_ATTEMPTS - wrong_attempts)


def looks_like_jwt(token: str) -> bool:
    """Three dot-separated base64url parts: a customer token, never an API key."""
    return len(token) <= 4096 and _JWT_SHAPE.match(token) is not None


def otp_text(code: str, *, minutes: int) -> str:
    """The SMS a customer receives."""
    return f"Your sign-in code is {code}. It expires in {minutes} minutes; never share it."
