"""Webhook rules in plain Python: signatures, event patterns, retry schedule.

**Signatures.** Every delivery carries ``Omniloop-Signature: t=<unix seconds>,v1=<hex>``
where ``<hex>`` is HMAC-SHA256 keyed with the subscription's secret over
``"<t>.<raw body>"``. Receivers recompute it over the exact bytes they received and reject
timestamps outside a tolerance window (replay protection). :func:`verify` is the receiving
side; inbound channel webhooks that are "signed exactly like our outbound webhooks" use it.

**Event patterns.** A subscription lists patterns: an exact type (``inventory.adjusted``),
``"*"`` for every event, or a prefix ending in ``.*`` (``inventory.*`` matches
``inventory.adjusted`` and ``inventory.reservation.expired``, not ``inventory`` itself).

**Retries.** Attempt ``n`` that fails is retried after ``base * 2**(n-1)`` seconds, spread by
±20% jitter so that endpoints recovering from an outage are not hit in lockstep, and never
more than an hour later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from enum import StrEnum

SIGNATURE_HEADER = "Omniloop-Signature"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300.0

MAX_BACKOFF_SECONDS = 3600.0
BACKOFF_JITTER = 0.2

ALL_EVENTS = "*"
MAX_PATTERN_LENGTH = 80
_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$")


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# ---------------------------------------------------------------------------- signatures


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Omniloop-Signature`` header value for ``body`` sent at ``timestamp``."""
    return f"t={timestamp},{SIGNATURE_VERSION}={_digest(secret, timestamp, body)}"


def parse_signature(header: str) -> tuple[int, list[str]] | None:
    """``(timestamp, [v1 signatures])`` from a header value, or None when malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            return None
        if name == "t":
            if not value.isdigit() or len(value) > 12 or timestamp is not None:
                return None
            timestamp = int(value)
        elif name == SIGNATURE_VERSION:
            signatures.append(value.strip())
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify(secret: str, header: str, body: bytes, tolerance_seconds: float, now: float) -> bool:
    """True when ``header`` signs exactly ``body`` with ``secret`` within the tolerance.

    ``now`` is the receiver's clock in unix seconds. Several ``v1=`` entries are accepted
    (one of them must match), so a sender may sign with an old and a new secret while a
    secret is being rotated.
    """
    parsed = parse_signature(header)
    if parsed is None:
        return False
    timestamp, candidates = parsed
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


# ------------------------------------------------------------------------------ patterns


def invalid_pattern_reason(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid event pattern, or None when it is."""
    if pattern == ALL_EVENTS:
        return None
    if not pattern or len(pattern) > MAX_PATTERN_LENGTH:
        return f"an event pattern has 1 to {MAX_PATTERN_LENGTH} characters"
    if not _PATTERN.match(pattern):
        return (
            f"{pattern!r} is not an event type: use lowercase dotted names like "
            "'inventory.adjusted', a prefix like 'inventory.*', or '*' for every event"
        )
    return None


def normalize_patterns(patterns: Iterable[str]) -> list[str]:
    """The patterns with duplicates removed, first occurrence first; ``["*"]`` absorbs all."""
    unique = list(dict.fromkeys(patterns))
    return [ALL_EVENTS] if ALL_EVENTS in unique else unique


def pattern_matches(pattern: str, event_type: str) -> bool:
    if pattern == ALL_EVENTS:
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def subscribes_to(patterns: Iterable[str], event_type: str) -> bool:
    """True when any of a subscription's patterns matches ``event_type``."""
    return any(pattern_matches(p, event_type) for p in patterns)


# ------------------------------------------------------------------------------- retries


def backoff_seconds(
    attempt: int,
    *,
    base_seconds: float,
    jitter_sample: float,
    cap_seconds: float = MAX_BACKOFF_SECONDS,
) -> float:
    """Delay before retrying after failed attempt number ``attempt`` (1-based).

    ``jitter_sample`` is a uniform draw from [0, 1) (the caller owns the randomness):
    0.5 gives the exact exponential delay, 0 and 1 its -20% and +20% bounds.
    """
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    exponent = min(attempt - 1, 60)  # 2**60 seconds is already far past any cap
    nominal = base_seconds * 2.0**exponent
    jittered = nominal * (1 + BACKOFF_JITTER * (2 * jitter_sample - 1))
    return min(cap_seconds, jittered)


def should_give_up(attempt: int, *, max_attempts: int) -> bool:
    """True when failed attempt number ``attempt`` was the last one allowed."""
    return attempt >= max_attempts


def is_success(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def reports_failure_of(event_type: str) -> bool:
    """Whether a dead delivery of ``event_type`` is itself announced as an event.

    Failures of ``webhook.*`` events are not: a dead endpoint subscribed to ``*`` would
    otherwise receive the news of its own failure, fail again, and so on forever.
    """
    return not event_type.startswith("webhook.")
