"""API shapes for redemption and delivery notes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from omniloop.fulfilment.domain import MAX_CODE_LENGTH, CodeKind, Outcome
from omniloop.orders.schemas import OrderOut
from omniloop.shared.money import MAX_AMOUNT
from omniloop.vouchers.schemas import VoucherRedemptionOut


class RedeemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CODE_LENGTH)]
    amount: Annotated[int, Strict(), Field(ge=1, le=MAX_AMOUNT)] | None = Field(
        default=None,
        description="Cash vouchers that allow it: redeem this much of the balance "
        "(minor units). Omitted: the whole balance (a set meal is always redeemed whole).",
    )


class RedemptionOut(OrderOut):
    """The order as it is after the hand-over, and what kind of code was redeemed."""

    redeemed: Literal[CodeKind.PICKUP]


AnyRedemptionOut = Annotated[RedemptionOut | VoucherRedemptionOut, Field(discriminator="redeemed")]
"""What a redemption answers: the order handed over, or the voucher redeemed."""


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    location_code: str
    kind: CodeKind | None
    code_hint: str
    outcome: Outcome
    order_id: uuid.UUID | None
    actor: str
    created_at: datetime


class AttemptPage(BaseModel):
    items: list[AttemptOut]


class NoteLocation(BaseModel):
    code: str
    name: str
    address: str | None
    lat: float
    lng: float


class NoteItem(BaseModel):
    sku: str
    name: str
    qty: int
    location: str | None


class NoteCustomer(BaseModel):
    name: str | None
    phone: str | None
    phone_masked: bool


class NoteAddress(BaseModel):
    text: str | None
    lat: float
    lng: float


class NoteEta(BaseModel):
    preparation_minutes: int
    travel_minutes: int
    minutes: int
    at: datetime


class DeliveryNoteOut(BaseModel):
    order_id: uuid.UUID
    number: str
    status: str
    channel: str
    created_at: datetime
    requested_time: datetime | None
    note: str | None
    location: NoteLocation
    items: list[NoteItem]
    customer: NoteCustomer
    address: NoteAddress
    distance_km: float
    eta: NoteEta
    navigation_url: str
    generated_at: datetime
