"""API shapes for webhook subscriptions, their deliveries and the event log."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from omniloop.webhooks.domain import DeliveryStatus, invalid_pattern_reason, normalize_patterns

MAX_URL_LENGTH = 2048
MAX_PATTERNS = 100


def _check_url(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError("the URL must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if parts.scheme not in {"http", "https"}:
        raise ValueError("the URL must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("the URL needs a host")
    return value


def _check_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        reason = invalid_pattern_reason(pattern)
        if reason:
            raise ValueError(reason)
    return normalize_patterns(patterns)


def _check_secret(value: str) -> str:
    if not value.isprintable() or value != value.strip():
        raise ValueError("the secret must be printable, without surrounding spaces")
    return value


Url = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH * 2), AfterValidator(_check_url)]
Patterns = Annotated[
    list[Annotated[str, Field(max_length=200)]],
    Field(
        min_length=1,
        max_length=MAX_PATTERNS,
        description="Event types to receive: exact ('inventory.adjusted'), a prefix "
        "('inventory.*') or '*' for every event.",
    ),
    AfterValidator(_check_patterns),
]
Secret = Annotated[
    str,
    Field(min_length=16, max_length=200, description="Key for the HMAC-SHA256 signature."),
    AfterValidator(_check_secret),
]
Description = Annotated[str | None, Field(max_length=500)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    events: Patterns
    secret: Secret | None = Field(
        default=None, description="Omit it and one is generated (returned in this response only)."
    )
    description: Description = None
    active: bool = True


class WebhookUpdate(BaseModel):
    """Only the fields present change; ``description`` may be set to null to clear it."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    events: Patterns | None = None
    secret: Secret | None = None
    description: Description = None
    active: bool | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        for name in ("url", "events", "secret", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret. Shown once: store it now.")


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    status_code: int | None = Field(description="The endpoint's HTTP status; null if none came.")
    error: str | None
    duration_ms: int
    attempted_at: datetime
    next_attempt_at: datetime | None = Field(description="When the retry after it was due.")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    failed_at: datetime | None
    attempts: list[AttemptOut] = Field(description="Every attempt, oldest first.")

    @classmethod
    def of(cls, delivery: object, attempts: Iterable[object]) -> DeliveryOut:
        fields = {name: getattr(delivery, name) for name in cls.model_fields if name != "attempts"}
        return cls(
            **fields,
            attempts=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts],
        )


class WebhookTestOut(BaseModel):
    event_id: uuid.UUID
    delivery_id: uuid.UUID


class EventOut(BaseModel):
    """An outbox event, shaped like the body webhook subscribers receive."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    created_at: datetime
    merchant_id: uuid.UUID
    data: dict[str, Any]
