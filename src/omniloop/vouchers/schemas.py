"""API shapes for voucher products, vouchers and their redemptions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)

from omniloop.catalog.domain import SKU_CODE_PATTERN
from omniloop.shared.money import MAX_AMOUNT
from omniloop.vouchers.domain import (
    MAX_ITEMS,
    MAX_LOCATIONS,
    MAX_VALIDITY_DAYS,
    RefundPolicy,
    VoucherKind,
    VoucherStatus,
)

SkuCode = Annotated[str, StringConstraints(pattern=SKU_CODE_PATTERN)]
LocationCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Amount = Annotated[
    int, Strict(), Field(ge=1, le=MAX_AMOUNT, description="Integer minor units (fen for CNY).")
]


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: SkuCode
    qty: Annotated[int, Strict(), Field(ge=1, le=1000)] = 1


class Validity(BaseModel):
    """How long a voucher stays redeemable: a number of days after purchase, or until a
    fixed moment (exclusive). Exactly one."""

    model_config = ConfigDict(extra="forbid")

    days_after_purchase: Annotated[int, Strict(), Field(ge=1, le=MAX_VALIDITY_DAYS)] | None = None
    until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Validity:
        if (self.days_after_purchase is None) == (self.until is None):
            raise ValueError("give days_after_purchase or until, exactly one")
        return self


Locations = Annotated[
    list[LocationCode],
    Field(max_length=MAX_LOCATIONS, description="Stores that redeem it; empty for every store."),
]
Items = Annotated[list[ItemIn], Field(max_length=MAX_ITEMS)]


class VoucherProductIn(BaseModel):
    """Make a catalog SKU a voucher: every unit sold and paid issues one voucher."""

    model_config = ConfigDict(extra="forbid")

    sku: SkuCode = Field(description="A catalog SKU; its price is what the customer pays.")
    name: Name | None = Field(default=None, description="Defaults to the SKU's name.")
    kind: VoucherKind
    face_value: Amount | None = Field(
        default=None,
        description="What a voucher is worth in the store: required for cash vouchers; a set "
        "meal's defaults to the SKU's price.",
    )
    items: Items = Field(default_factory=list, description="A set meal's items.")
    validity: Validity
    partial_redemption: bool = Field(
        default=False, description="Cash vouchers only: spend the balance over several visits."
    )
    locations: Locations = Field(default_factory=list)
    refund_policy: RefundPolicy = RefundPolicy.UNREDEEMED_REFUNDABLE
    campaign_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _cash_has_face_value(self) -> VoucherProductIn:
        if self.kind is VoucherKind.CASH and self.face_value is None:
            raise ValueError("a cash voucher needs a face_value")
        return self


class VoucherProductPatch(BaseModel):
    """Change a product's terms for the vouchers sold from now on (the SKU and kind stay)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    face_value: Amount | None = None
    items: Items | None = None
    validity: Validity | None = None
    partial_redemption: bool | None = None
    locations: Locations | None = None
    refund_policy: RefundPolicy | None = None
    campaign_id: uuid.UUID | None = Field(default=None, description="null detaches it.")

    @model_validator(mode="after")
    def _no_nulls(self) -> VoucherProductPatch:
        nullable = {"campaign_id"}
        for name in self.model_fields_set - nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; omit it to leave it unchanged")
        return self


class ItemOut(BaseModel):
    sku: str
    qty: int


class ValidityOut(BaseModel):
    days_after_purchase: int | None
    until: datetime | None


class VoucherProductOut(BaseModel):
    id: uuid.UUID
    sku: str
    name: str
    kind: VoucherKind
    price: int | None = Field(description="The SKU's catalog price: what the customer pays.")
    currency: str
    face_value: int
    items: list[ItemOut]
    validity: ValidityOut
    partial_redemption: bool
    locations: list[str]
    refund_policy: RefundPolicy
    campaign_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class VoucherOut(BaseModel):
    """A voucher. ``code`` and ``qr_payload`` are shown to the order's customer, owners and
    integrators; everyone else sees ``code_masked`` only."""

    id: uuid.UUID
    code: str | None
    code_masked: str
    qr_payload: str | None
    status: VoucherStatus
    product_id: uuid.UUID
    order_id: uuid.UUID
    sku: str
    unit_no: int
    member_id: uuid.UUID | None
    name: str
    kind: VoucherKind
    currency: str
    face_value: int
    balance: int
    paid_amount: int
    items: list[ItemOut]
    partial_redemption: bool
    locations: list[str]
    refund_policy: RefundPolicy
    campaign_id: uuid.UUID | None
    valid_until: datetime
    issued_at: datetime
    voided_at: datetime | None
    void_reason: str | None


class RedemptionEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    location: str = Field(validation_alias=AliasChoices("location_code", "location"))
    amount: int
    paid_share: int
    balance_after: int
    currency: str
    actor: str
    created_at: datetime


class VoucherDetailOut(VoucherOut):
    redemptions: list[RedemptionEntryOut]


class VoucherRedemptionOut(BaseModel):
    """What ``POST /locations/{code}/redemptions`` answers for a voucher code."""

    redeemed: Literal["voucher"] = "voucher"
    amount: int
    balance: int = Field(description="What is left on the voucher after this redemption.")
    currency: str
    redemption: RedemptionEntryOut
    voucher: VoucherOut
