"""API shapes for orders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from omniloop.inventory.domain import MAX_QUANTITY
from omniloop.orders.domain import CHANNEL_PATTERN, Action, FulfillmentType, OrderStatus
from omniloop.shared.phone import InvalidPhone, contact_phone

Code = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, StringConstraints(min_length=3, max_length=40)] | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return contact_phone(value)
        except InvalidPhone as exc:
            raise ValueError(str(exc)) from None


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(max_length=500)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lng: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class FulfillmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: FulfillmentType
    location: Code | None = None
    address: AddressIn | None = None
    requested_time: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FulfillmentIn:
        if self.type is FulfillmentType.DELIVERY and self.address is None:
            raise ValueError("a delivery needs an address with lat and lng")
        return self


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Code
    qty: Annotated[int, Field(gt=0, le=MAX_QUANTITY, strict=True)]


class TendersIn(BaseModel):
    """Pay part of the order from the member's points and stored value."""

    model_config = ConfigDict(extra="forbid")

    points: Annotated[int, Field(ge=0, le=10**12, strict=True)] = 0
    wallet: Annotated[int, Field(ge=0, le=10**13, strict=True, description="minor units")] = 0


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Annotated[str, StringConstraints(pattern=CHANNEL_PATTERN.pattern)]
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    customer: CustomerIn = Field(default_factory=CustomerIn)
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=200)]
    fulfillment: FulfillmentIn
    note: Annotated[str, StringConstraints(max_length=500)] | None = None
    tracking_code: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    member_id: uuid.UUID | None = Field(
        default=None, description="The member placing the order (owners and integrators)."
    )
    member_scan_id: uuid.UUID | None = Field(
        default=None, description="A member code scanned at the POS (member-scans)."
    )
    tenders: TendersIn | None = None
    coupon_codes: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]],
        Field(max_length=5),
    ] = Field(default_factory=list)
    visitor_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="The visitor id of the tracking cookie (ol_vid), for campaign attribution.",
    )


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class OrderLineOut(BaseModel):
    sku: str
    name: str
    qty: int
    unit_price: int
    discount: int
    total: int
    location: str | None
    price_rule: str
    refunded_qty: int


class TransitionOut(BaseModel):
    from_status: OrderStatus | None
    to_status: OrderStatus
    action: str
    actor: str
    reason: str | None
    at: datetime


class TenderOut(BaseModel):
    kind: str
    amount: int
    points: int
    refunded_amount: int
    refunded_points: int


class CustomerOut(BaseModel):
    phone: str | None
    name: str | None


class OrderOut(BaseModel):
    id: uuid.UUID
    number: str
    channel: str
    external_id: str | None
    status: OrderStatus
    payment_status: str
    location: str | None
    member_id: uuid.UUID | None = None
    customer: CustomerOut
    lines: list[OrderLineOut]
    subtotal: int
    discount_total: int
    fee_total: int
    total: int
    paid_total: int
    refunded_total: int
    net_total: int
    amount_due: int = Field(
        default=0, description="What a payment provider must still collect (unpaid orders)."
    )
    tenders: list[TenderOut] = Field(default_factory=list)
    currency: str
    adjustments: list[dict[str, Any]]
    fulfillment: dict[str, Any]
    allocations: list[dict[str, Any]]
    routing: dict[str, Any]
    pickup_code: str | None = Field(
        default=None, description="Shown to the customer, owners and integrators only."
    )
    pickup_qr: str | None = None
    note: str | None
    tracking_code: str | None
    campaign_id: uuid.UUID | None = None
    attribution: dict[str, Any] | None = None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    history: list[TransitionOut]
