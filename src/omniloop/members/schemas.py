"""Member requests and responses (Pydantic, never ORM rows)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from omniloop.members.domain import CHANNEL_PATTERN
from omniloop.shared.phone import InvalidPhone, normalize_phone


def _e164(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone as exc:
        raise ValueError(str(exc)) from None


Phone = Annotated[
    str,
    StringConstraints(min_length=3, max_length=32),
    AfterValidator(_e164),
    Field(description="Any common format (``138 0013 8000``, ``+86 138...``); stored as E.164."),
]
Channel = Annotated[str, StringConstraints(pattern=CHANNEL_PATTERN.pattern)]
LocationCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: Phone
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    channel: Channel = Field(description="Where the member signs up: own_app, pos, meituan, ...")
    location: LocationCode | None = Field(
        default=None, description="The store that signs the member up (store staff: their own)."
    )
    join_token: Annotated[str, StringConstraints(min_length=1, max_length=400)] | None = Field(
        default=None, description="From a store's join QR code: that store acquired the member."
    )


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    other_id: uuid.UUID = Field(description="The record absorbed into this one.")


class AcquiredOut(BaseModel):
    channel: str | None
    location: str | None
    at: datetime


class WalletOut(BaseModel):
    principal: int
    bonus: int
    total: int


class MemberOut(BaseModel):
    id: uuid.UUID
    phone: str | None
    name: str | None
    status: str
    merged_into: uuid.UUID | None
    merged_ids: list[uuid.UUID] = Field(description="Records merged into this member.")
    acquired: AcquiredOut
    channels_seen: list[str]
    stores_seen: list[str]
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    order_count: int
    tier: str | None
    points: int
    wallet: WalletOut
    lifetime_net_spend: int
    rolling_12m_net_spend: int
    created_at: datetime


class ActivityOut(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID = Field(description="The record it happened to (a merged one, too).")
    kind: str
    channel: str | None
    location: str | None
    order_id: uuid.UUID | None
    detail: dict[str, Any]
    created_at: datetime


class JoinQrOut(BaseModel):
    location: str
    join_token: str
    url: str
    qr_payload: str = Field(description="What the QR code encodes (the url).")
    svg: str = Field(description="The QR code as an inline SVG element.")
