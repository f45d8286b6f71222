"""Payment rules in plain Python: statuses, what a callback may change, the callback body.

A payment is ``pending`` until its provider tells us the outcome, then ``succeeded`` or
``failed`` for good: the first outcome wins, so repeated, late and out-of-order callbacks
(a ``failed`` arriving after ``succeeded``) change nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def applies(status: PaymentStatus) -> bool:
    """Whether a callback outcome may still change a payment in ``status``."""
    return status is PaymentStatus.PENDING


@dataclass(frozen=True)
class CallbackEvent:
    """A verified provider notification: which payment, what happened, for how much."""

    event_id: str
    merchant_id: uuid.UUID
    payment_id: uuid.UUID
    provider_ref: str | None
    outcome: Outcome
    amount: int


def encode_event(event: CallbackEvent) -> bytes:
    """The exact bytes the sandbox signs and sends."""
    return json.dumps(
        {
            "event_id": event.event_id,
            "merchant_id": str(event.merchant_id),
            "payment_id": str(event.payment_id),
            "provider_ref": event.provider_ref,
            "outcome": event.outcome.value,
            "amount": event.amount,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def decode_event(body: bytes) -> CallbackEvent | None:
    """The event in a callback body, or None when it is not one (never raises)."""
    try:
        data: Any = json.loads(body)
        return CallbackEvent(
            event_id=str(data["event_id"])[:100],
            merchant_id=uuid.UUID(str(data["merchant_id"])),
            payment_id=uuid.UUID(str(data["payment_id"])),
            provider_ref=None if data.get("provider_ref") is None else str(data["provider_ref"]),
            outcome=Outcome(data["outcome"]),
            amount=int(data["amount"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
