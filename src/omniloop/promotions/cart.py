"""The values the pricing engine works on: what kinds of rules there are, the cart and its
context going in, the priced lines and the breakdown coming out. Plain Python; the engine
that turns one into the other is :mod:`omniloop.promotions.domain`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class PromotionKind(StrEnum):
    SPEND_SAVE_TIERS = "spend_save_tiers"
    PERCENT_OFF = "percent_off"
    TIER_PRICE = "tier_price"


LINE_PROMOTIONS = frozenset({PromotionKind.PERCENT_OFF, PromotionKind.TIER_PRICE})


class CouponKind(StrEnum):
    FIXED_AMOUNT = "fixed_amount"
    PERCENT = "percent"
    SPEND_SAVE = "spend_save"
    FREE_ITEM = "free_item"


class CouponStatus(StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    """Taken by an unpaid order: used when it is paid, available again if it is cancelled."""
    USED = "used"
    EXPIRED = "expired"
    VOID = "void"


class Rejection(StrEnum):
    """Why a coupon did not apply to a cart (stable codes for clients)."""

    UNKNOWN = "unknown"
    NOT_YOURS = "not_yours"
    ALREADY_USED = "already_used"
    IN_USE = "in_use"
    VOID = "void"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_CURRENCY = "wrong_currency"
    WRONG_CHANNEL = "wrong_channel"
    WRONG_LOCATION = "wrong_location"
    NOT_ELIGIBLE = "not_eligible"
    MIN_SPEND = "min_spend"
    NOT_STACKABLE = "not_stackable"
    DUPLICATE = "duplicate"


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class CartLine:
    """A line to price: ``discount_before`` was taken already (e.g. the member price)."""

    index: int
    sku: str
    category: str | None
    qty: int
    unit_price: int
    discount_before: int = 0

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.qty


@dataclass(frozen=True)
class CartContext:
    channel: str
    location: str | None
    member_tier: str | None
    at: datetime
    currency: str
    member_id: uuid.UUID | None = None
    """Whose cart it is: coupons apply only to their own member's cart."""


@dataclass(frozen=True)
class Scope:
    """Where a rule applies. An empty set means "any"; SKUs and categories add up (a line
    is covered when its SKU or its category is listed)."""

    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    locations: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        skus: Iterable[str] = (),
        categories: Iterable[str] = (),
        channels: Iterable[str] = (),
        locations: Iterable[str] = (),
    ) -> Scope:
        return cls(
            frozenset(skus), frozenset(categories), frozenset(channels), frozenset(locations)
        )

    def covers(self, line: CartLine) -> bool:
        if not self.skus and not self.categories:
            return True
        return line.sku in self.skus or (
            line.category is not None and line.category in self.categories
        )

    def admits_channel(self, channel: str) -> bool:
        return not self.channels or channel in self.channels

    def admits_location(self, location: str | None) -> bool:
        return not self.locations or (location is not None and location in self.locations)


@dataclass(frozen=True)
class Tier:
    threshold: int
    amount: int


@dataclass(frozen=True)
class PromotionRule:
    """An automatic promotion: no code, applies to every cart it covers while live."""

    id: str
    name: str
    kind: PromotionKind
    scope: Scope = field(default_factory=Scope)
    tiers: tuple[Tier, ...] = ()
    percent: int = 0
    tier_code: str | None = None
    currency: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    active: bool = True

    @property
    def source(self) -> str:
        return f"promotion:{self.id}"

    def live_for(self, ctx: CartContext) -> bool:
        """Active, within its window ``[starts_at, ends_at)``, on this channel and location."""
        if not self.active:
            return False
        if self.starts_at is not None and ctx.at < self.starts_at:
            return False
        if self.ends_at is not None and ctx.at >= self.ends_at:
            return False
        return self.scope.admits_channel(ctx.channel) and self.scope.admits_location(ctx.location)


@dataclass(frozen=True)
class CouponTerms:
    """What a coupon template gives; amounts are minor units of ``currency``."""

    kind: CouponKind
    currency: str
    amount: int = 0
    percent: int = 0
    cap: int | None = None
    threshold: int = 0
    sku: str | None = None
    min_spend: int = 0
    stackable: bool = False
    scope: Scope = field(default_factory=Scope)


@dataclass(frozen=True)
class CouponOffer:
    """A coupon presented with a cart, as the database has it."""

    code: str
    label: str
    terms: CouponTerms
    status: CouponStatus
    valid_from: datetime
    valid_until: datetime
    member_id: uuid.UUID | None = None


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LinePrice:
    index: int
    sku: str
    qty: int
    unit_price: int
    discount_before: int
    discount: int
    """What promotions and coupons took off this line (on top of ``discount_before``)."""

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.qty

    @property
    def total_discount(self) -> int:
        return self.discount_before + self.discount

    @property
    def total(self) -> int:
        return self.subtotal - self.total_discount


@dataclass(frozen=True)
class AppliedDiscount:
    """One rule's discount: ``source`` is ``promotion:<id>`` or ``coupon:<code>``."""

    source: str
    label: str
    kind: str
    amount: int
    lines: dict[int, int]
    """Line index -> the part of ``amount`` that line carries."""


@dataclass(frozen=True)
class RejectedCoupon:
    code: str
    reason: Rejection
    message: str


@dataclass(frozen=True)
class PricingResult:
    currency: str
    lines: tuple[LinePrice, ...]
    breakdown: tuple[AppliedDiscount, ...]
    applied_coupons: tuple[str, ...]
    rejected_coupons: tuple[RejectedCoupon, ...]

    @property
    def subtotal(self) -> int:
        return sum(ln.subtotal for ln in self.lines)

    @property
    def discount(self) -> int:
        """What promotions and coupons took off (excluding ``discount_before``)."""
        return sum(ln.discount for ln in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(ln.total_discount for ln in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount_total

    def line_discounts(self) -> dict[int, int]:
        """Line index -> its whole discount (``discount_before`` included)."""
        return {ln.index: ln.total_discount for ln in self.lines}

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (what an order stores and a quote returns)."""
        return {
            "currency": self.currency,
            "subtotal": self.subtotal,
            "discount_total": self.discount_total,
            "total": self.total,
            "lines": [
                {
                    "index": ln.index,
                    "sku": ln.sku,
                    "qty": ln.qty,
                    "unit_price": ln.unit_price,
                    "subtotal": ln.subtotal,
                    "discount_before": ln.discount_before,
                    "discount": ln.discount,
                    "total_discount": ln.total_discount,
                    "total": ln.total,
                }
                for ln in self.lines
            ],
            "breakdown": [
                {
                    "source": d.source,
                    "label": d.label,
                    "kind": d.kind,
                    "amount": d.amount,
                    "lines": {str(i): a for i, a in d.lines.items()},
                }
                for d in self.breakdown
            ],
            "applied_coupons": list(self.applied_coupons),
            "rejected_coupons": [
                {"code": r.code, "reason": r.reason.value, "message": r.message}
                for r in self.rejected_coupons
            ],
        }
