"""Member code rules, in plain Python: the code's shape and signature, and the scan limits.

A member code is 18 digits, ``PP RRRRRRRRRR SSSSSS``:

- ``PP`` is :data:`PREFIX`, so a POS scanner can tell a member code from a payment code
  (WeChat Pay's start 10-15, Alipay's 25-30);
- ``R`` are ten random digits. They are derived, through the merchant's ``member_code``
  secret, from the code's row id, itself 16 bytes from ``secrets``: the server can show the
  same code again while it is current, yet the database keeps only a hash of the code and
  nothing in it derives from the member id;
- ``S`` is a six-digit truncated HMAC of the merchant id and ``R`` under the same secret,
  so a forged or mistyped code is refused before any lookup.

Scanning: a location that saw :data:`MAX_FAILED_SCANS` unknown or forged codes within
:data:`FAILED_SCAN_WINDOW` refuses scans until the oldest of them leaves the window. A
successful scan identifies the member for :data:`SCAN_VALIDITY`, for one POS order.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from omniloop.merchants.domain import Role

PREFIX = "88"
RANDOM_DIGITS = 10
SIGNATURE_DIGITS = 6
CODE_LENGTH = len(PREFIX) + RANDOM_DIGITS + SIGNATURE_DIGITS
QR_PREFIX = "omniloop:member:"

SCAN_VALIDITY = timedelta(minutes=10)
MAX_FAILED_SCANS = 5
FAILED_SCAN_WINDOW = timedelta(minutes=10)

CODE_RELAYING_ROLES = frozenset({Role.OWNER, Role.INTEGRATOR})
"""Key roles that may fetch a member's code for them (an app backend, a kiosk). Operators
and store staff may not: a code in their hands is a member they could pass themselves off as."""

_CODE_PATTERN = re.compile(rf"^{PREFIX}[0-9]{{{RANDOM_DIGITS + SIGNATURE_DIGITS}}}$")
_SEPARATORS = re.compile(r"[\s\-]+")


class MalformedMemberCode(ValueError):
    """The text is not shaped like a member code (a typing or scanning slip, not a guess)."""


class ScanOutcome(StrEnum):
    """How a scan ended (the ``member_scan.outcome`` column)."""

    SUCCESS = "success"
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    LOCKED = "locked"
    MALFORMED = "malformed"


def new_code_id() -> uuid.UUID:
    """A code's row id: 16 bytes from ``secrets`` (its random digits derive from it)."""
    return uuid.UUID(bytes=secrets.token_bytes(16), version=4)


def _hmac_digits(secret: bytes, message: str, digits: int) -> str:
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**digits:0{digits}d}"


def signature(secret: bytes, *, merchant_id: uuid.UUID, random_part: str) -> str:
    return _hmac_digits(secret, f"member-code:{merchant_id}:{random_part}", SIGNATURE_DIGITS)


def compose(secret: bytes, *, merchant_id: uuid.UUID, code_id: uuid.UUID) -> str:
    """The 18-digit code of the row ``code_id`` (the same every time it is asked for)."""
    random_part = _hmac_digits(secret, f"member-code-random:{code_id}", RANDOM_DIGITS)
    return (
        PREFIX + random_part + signature(secret, merchant_id=merchant_id, random_part=random_part)
    )


def is_authentic(secret: bytes, *, merchant_id: uuid.UUID, code: str) -> bool:
    """True when the code's signature is the merchant's (checked before any lookup)."""
    random_part = code[len(PREFIX) : len(PREFIX) + RANDOM_DIGITS]
    expected = signature(secret, merchant_id=merchant_id, random_part=random_part)
    return hmac.compare_digest(expected, code[len(PREFIX) + RANDOM_DIGITS :])


def code_digest(code: str) -> str:
    """What is stored of a code, and how a scanned one is looked up."""
    return hashlib.sha256(code.encode()).hexdigest()


def qr_payload(code: str) -> str:
    return QR_PREFIX + code


def parse(raw: str) -> str:
    """The code in typed digits (spaces, dashes and full-width digits allowed) or in a
    scanned QR payload."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if text.startswith(QR_PREFIX):
        text = text[len(QR_PREFIX) :]
    digits = _SEPARATORS.sub("", text)
    if not _CODE_PATTERN.match(digits):
        raise MalformedMemberCode(f"not a member code ({CODE_LENGTH} digits starting {PREFIX})")
    return digits


def code_hint(raw: str) -> str:
    """What the scan log keeps of a code: its length and last two characters."""
    text = _SEPARATORS.sub("", raw.strip())[-64:]
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 2) + text[-2:]


def _recent(failures: Iterable[datetime], now: datetime) -> list[datetime]:
    return sorted(t for t in failures if now - t < FAILED_SCAN_WINDOW)


def scans_locked_until(failures: Iterable[datetime], *, now: datetime) -> datetime | None:
    """When a location may scan again, or None when it may now."""
    recent = _recent(failures, now)
    if len(recent) < MAX_FAILED_SCANS:
        return None
    return recent[-MAX_FAILED_SCANS] + FAILED_SCAN_WINDOW


def scans_left(failures: Iterable[datetime], *, now: datetime) -> int:
    """Unknown codes the location may still scan before it is locked."""
    return max(0, MAX_FAILED_SCANS - len(_recent(failures, now)))


def retry_after_seconds(until: datetime, *, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))
