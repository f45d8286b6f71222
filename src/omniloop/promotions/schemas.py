"""API shapes for coupon templates, coupons, promotions and price quotes.

Field ranges are checked here; rules that tie fields together (which fields a kind needs, a
window or days after the grant) are :mod:`omniloop.promotions.rules`, applied by the service
so that a 422 names every offending field.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, StringConstraints

from omniloop.catalog.schemas import Category, ChannelCode, CurrencyCode, LocationCode, SkuCode
from omniloop.promotions.domain import CouponKind, CouponStatus, PromotionKind, Rejection
from omniloop.promotions.rules import GrantedVia, RefundPolicy
from omniloop.shared.money import MAX_AMOUNT

MAX_SCOPE_ITEMS = 500
MAX_GRANT_MEMBERS = 1000
MAX_QUOTE_LINES = 100
MAX_COUPONS_PER_QUOTE = 10

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=1000)]
Amount = Annotated[int, Strict(), Field(ge=1, le=MAX_AMOUNT, description="Minor units.")]
MinSpend = Annotated[int, Strict(), Field(ge=0, le=MAX_AMOUNT, description="Minor units.")]
Percent = Annotated[int, Strict(), Field(ge=1, le=100, description="Whole percent off.")]
TierCode = Annotated[str, StringConstraints(min_length=1, max_length=40)]
CouponCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Skus = Annotated[list[SkuCode], Field(max_length=MAX_SCOPE_ITEMS)]
Categories = Annotated[list[Category], Field(max_length=MAX_SCOPE_ITEMS)]
Channels = Annotated[list[ChannelCode], Field(max_length=50)]
Locations = Annotated[list[LocationCode], Field(max_length=MAX_SCOPE_ITEMS)]
Limit = Annotated[int, Strict(), Field(ge=1, le=1000)]
Quota = Annotated[int, Strict(), Field(ge=1, le=100_000_000)]
Days = Annotated[int, Strict(), Field(ge=1, le=3650)]
MemberIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_GRANT_MEMBERS)]
Priority = Annotated[int, Strict(), Field(ge=-1000, le=1000)]


# --------------------------------------------------------------------------- templates


class CouponTemplateIn(BaseModel):
    """A coupon template: what each coupon gives, when it is valid, where, and how many."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description | None = None
    kind: CouponKind
    amount: Amount | None = Field(
        default=None, description="fixed_amount: off the order; spend_save: saved."
    )
    percent: Percent | None = Field(default=None, description="percent: off eligible items.")
    cap: Amount | None = Field(default=None, description="percent: the most it takes off.")
    threshold: Amount | None = Field(default=None, description="spend_save: spend this much.")
    sku: SkuCode | None = Field(default=None, description="free_item: one unit of it is free.")
    currency: CurrencyCode | None = Field(default=None, description="The merchant's if omitted.")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = Field(default=None, description="Exclusive.")
    days_after_grant: Days | None = Field(
        default=None, description="Instead of a window: valid this many days from the grant."
    )
    skus: Skus = Field(default_factory=list, description="Eligible SKUs (with categories: any).")
    categories: Categories = Field(default_factory=list)
    channels: Channels = Field(default_factory=list, description="Empty: every channel.")
    locations: Locations = Field(default_factory=list, description="Empty: every store.")
    min_spend: MinSpend = Field(default=0, description="Eligible items must come to this.")
    per_member_limit: Limit | None = Field(default=1, description="Null: no limit per member.")
    total_quota: Quota | None = Field(default=None, description="Null: no total limit.")
    refund_policy: RefundPolicy = RefundPolicy.FORFEIT
    stackable: bool = Field(default=False, description="May join other stackable coupons.")
    claimable: bool = Field(default=False, description="Customers may claim it themselves.")
    campaign_id: uuid.UUID | None = None
    active: bool = True


class CouponTemplatePatch(BaseModel):
    """Change a template. Once coupons exist, only name, description, limits, quota,
    claimable, campaign and active change (the coupons given out keep their terms)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None
    kind: CouponKind | None = None
    amount: Amount | None = None
    percent: Percent | None = None
    cap: Amount | None = None
    threshold: Amount | None = None
    sku: SkuCode | None = None
    currency: CurrencyCode | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    days_after_grant: Days | None = None
    skus: Skus | None = None
    categories: Categories | None = None
    channels: Channels | None = None
    locations: Locations | None = None
    min_spend: MinSpend | None = None
    per_member_limit: Limit | None = None
    total_quota: Quota | None = None
    refund_policy: RefundPolicy | None = None
    stackable: bool | None = None
    claimable: bool | None = None
    campaign_id: uuid.UUID | None = None
    active: bool | None = None


class CouponTemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    kind: CouponKind
    amount: int | None
    percent: int | None
    cap: int | None
    threshold: int | None
    sku: str | None
    currency: str
    starts_at: datetime | None
    ends_at: datetime | None
    days_after_grant: int | None
    skus: list[str]
    categories: list[str]
    channels: list[str]
    locations: list[str]
    min_spend: int
    per_member_limit: int | None
    total_quota: int | None
    issued: int
    remaining: int | None = Field(description="What the quota still allows; null: no quota.")
    refund_policy: RefundPolicy
    stackable: bool
    claimable: bool
    campaign_id: uuid.UUID | None
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


# --------------------------------------------------------------------------- coupons


class GrantIn(BaseModel):
    """Who gets a coupon: one member, a list, or a saved segment (exactly one of them)."""

    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID | None = None
    member_ids: (
        Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_GRANT_MEMBERS)] | None
    ) = None
    segment_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = Field(
        default=None, description="The campaign the grant belongs to (the template's if omitted)."
    )


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID | None = Field(
        default=None, description="The claiming member (a customer's token: themselves)."
    )


class CouponOut(BaseModel):
    id: uuid.UUID
    code: str
    template_id: uuid.UUID
    member_id: uuid.UUID
    name: str
    kind: CouponKind
    currency: str
    amount: int | None
    percent: int | None
    cap: int | None
    threshold: int | None
    sku: str | None
    min_spend: int
    status: CouponStatus
    valid_from: datetime
    valid_until: datetime
    granted_via: GrantedVia
    campaign_id: uuid.UUID | None
    order_id: uuid.UUID | None
    granted_at: datetime
    used_at: datetime | None


class GrantOut(BaseModel):
    template_id: uuid.UUID
    granted: int
    skipped_member_ids: list[uuid.UUID] = Field(
        description="Members who already hold as many of these coupons as they may."
    )
    coupons: list[CouponOut] = Field(description="The coupons granted (the first 100).")


# --------------------------------------------------------------------------- promotions


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: Amount
    amount: Amount


class PromotionIn(BaseModel):
    """An automatic promotion: applies without a code to every cart it covers."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: PromotionKind
    tiers: Annotated[list[TierIn], Field(min_length=1, max_length=20)] | None = Field(
        default=None, description="spend_save_tiers: the highest tier reached applies, once."
    )
    percent: Percent | None = Field(default=None, description="percent_off and tier_price.")
    tier_code: TierCode | None = Field(default=None, description="tier_price: the member tier.")
    currency: CurrencyCode | None = Field(default=None, description="The merchant's if omitted.")
    skus: Skus = Field(default_factory=list)
    categories: Categories = Field(default_factory=list)
    channels: Channels = Field(default_factory=list, description="Empty: every channel.")
    locations: Locations = Field(default_factory=list, description="Empty: every store.")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = Field(default=None, description="Exclusive.")
    priority: Priority = Field(default=0, description="Breaks ties between equal discounts.")
    active: bool = True
    campaign_id: uuid.UUID | None = None


class PromotionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: PromotionKind | None = None
    tiers: Annotated[list[TierIn], Field(min_length=1, max_length=20)] | None = None
    percent: Percent | None = None
    tier_code: TierCode | None = None
    currency: CurrencyCode | None = None
    skus: Skus | None = None
    categories: Categories | None = None
    channels: Channels | None = None
    locations: Locations | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    priority: Priority | None = None
    active: bool | None = None
    campaign_id: uuid.UUID | None = None


class TierOut(BaseModel):
    threshold: int
    amount: int


class PromotionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: PromotionKind
    tiers: list[TierOut] | None
    percent: int | None
    tier_code: str | None
    currency: str
    skus: list[str]
    categories: list[str]
    channels: list[str]
    locations: list[str]
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    active: bool
    campaign_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    updated_at: datetime


# --------------------------------------------------------------------------- quotes


class QuoteLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: SkuCode
    qty: Annotated[int, Strict(), Field(ge=1, le=9999)]


class QuoteIn(BaseModel):
    """A cart to price the way an order would be: catalog prices, member price, promotions,
    coupons."""

    model_config = ConfigDict(extra="forbid")

    channel: ChannelCode
    location: LocationCode | None = None
    member_id: uuid.UUID | None = Field(
        default=None, description="Whose cart (a customer's token: themselves)."
    )
    lines: Annotated[list[QuoteLineIn], Field(min_length=1, max_length=MAX_QUOTE_LINES)]
    coupon_codes: Annotated[list[CouponCode], Field(max_length=MAX_COUPONS_PER_QUOTE)] = Field(
        default_factory=list
    )


class QuoteLineOut(BaseModel):
    index: int
    sku: str
    name: str
    category: str | None
    qty: int
    unit_price: int
    subtotal: int
    discount_before: int = Field(description="The member tier's price, taken first.")
    discount: int = Field(description="Promotions and coupons.")
    total_discount: int
    total: int


class AppliedDiscountOut(BaseModel):
    source: str = Field(examples=["promotion:<id>", "coupon:<code>"])
    label: str
    kind: str
    amount: int
    lines: dict[int, int] = Field(description="Line index -> its share of the amount.")


class RejectedCouponOut(BaseModel):
    code: str
    reason: Rejection
    message: str


class QuoteOut(BaseModel):
    currency: str
    channel: str
    location: str | None
    member_id: uuid.UUID | None
    member_tier: str | None
    at: datetime
    lines: list[QuoteLineOut]
    breakdown: list[AppliedDiscountOut]
    applied_coupons: list[str]
    rejected_coupons: list[RejectedCouponOut]
    subtotal: int
    discount_total: int
    total: int
