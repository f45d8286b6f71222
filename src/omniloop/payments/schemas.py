"""API shapes for payments and refunds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from omniloop.inventory.domain import MAX_QUANTITY

MAX_AMOUNT = 10**12


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]


class PaymentOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID | None
    top_up_id: uuid.UUID | None = None
    provider: str
    amount: int
    currency: str
    status: str
    provider_ref: str | None
    pay_url: str | None
    qr_payload: str | None
    created_at: datetime
    settled_at: datetime | None


class RefundLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
    qty: Annotated[int, Field(gt=0, le=MAX_QUANTITY, strict=True)]


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: Annotated[list[RefundLineIn], Field(min_length=1, max_length=200)] | None = None
    amount: Annotated[int, Field(gt=0, le=MAX_AMOUNT, strict=True)] | None = None
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None
    restock: bool = False

    @model_validator(mode="after")
    def _lines_or_amount(self) -> RefundCreate:
        if self.lines is None and self.amount is None:
            raise ValueError("give the lines to refund, an amount, or both")
        if self.restock and self.lines is None:
            raise ValueError("restock needs the lines whose units go back on hand")
        return self

    def line_qtys(self) -> dict[str, int] | None:
        if self.lines is None:
            return None
        qtys: dict[str, int] = {}
        for line in self.lines:
            qtys[line.sku] = qtys.get(line.sku, 0) + line.qty
        return qtys


class RefundOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID | None
    payment_id: uuid.UUID
    amount: int
    reason: str | None
    lines: list[dict[str, Any]]
    restock: bool
    status: str
    provider_ref: str | None
    created_at: datetime


class OrderTotals(BaseModel):
    paid_total: int
    refunded_total: int
    net_total: int
    payment_status: str
    status: str


class RefundResult(BaseModel):
    refund: RefundOut | None = Field(
        description="The money given back through the provider (none when the refund went "
        "entirely to points and wallet)."
    )
    order: OrderTotals
    tenders: dict[str, int] = Field(
        default_factory=dict, description="How much of the refund went to each tender."
    )
    points_returned: int = 0


class SandboxOutcomeOut(BaseModel):
    payment_id: uuid.UUID
    outcome: str
    callback: str = "queued"


class CallbackAck(BaseModel):
    received: bool = True
    applied: bool
    payment_status: str


class TopUpCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[int, Field(gt=0, le=MAX_AMOUNT, strict=True, description="minor units")]
    provider: Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]


class TopUpOut(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    amount: int
    bonus: int = Field(description="Added by the merchant's rule once paid; not refundable.")
    currency: str
    status: str
    rule: dict[str, Any] | None
    refunded_amount: int
    created_at: datetime
    paid_at: datetime | None
    payment: PaymentOut | None


class TopUpRefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[int, Field(gt=0, le=MAX_AMOUNT, strict=True)] | None = None
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class TopUpRefundResult(BaseModel):
    top_up: TopUpOut
    refunded: int
    bonus_forfeited: int
