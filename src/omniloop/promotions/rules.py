"""Coupon and promotion rules other than pricing, in plain Python: coupon codes, how long a
coupon is valid, what status it shows, and which terms make a valid template or promotion.

Validation returns every problem at once, each naming its field, so a marketer fixes a
form in one go (the API answers 422 with the list).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from omniloop.promotions.domain import CouponKind, CouponStatus, PromotionKind, Tier

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""No 0/O, 1/I/L: a code read aloud at the till or typed from a screenshot survives."""
CODE_LENGTH = 12
MAX_TIERS = 20


class RefundPolicy(StrEnum):
    FORFEIT = "forfeit"
    """A used coupon is gone, even if the order is refunded."""
    RESTORE_ON_FULL_REFUND = "restore_on_full_refund"
    """A fully refunded order gives its coupon back (if still within its validity)."""


class GrantedVia(StrEnum):
    GRANT = "grant"
    CLAIM = "claim"
    REFERRAL = "referral"
    SEGMENT = "segment"


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def new_coupon_code() -> str:
    """12 characters of a 31-letter alphabet (~59 bits) from the OS's secure generator."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """A code as typed (any case, spaces or dashes) in its stored form."""
    return "".join(ch for ch in raw.upper() if ch not in " -\t")


def validity(
    *,
    granted_at: datetime,
    starts_at: datetime | None,
    ends_at: datetime | None,
    days_after_grant: int | None,
) -> tuple[datetime, datetime]:
    """``[valid_from, valid_until)`` of a coupon granted at ``granted_at``: the template's
    window, or ``days_after_grant`` days from the grant."""
    if days_after_grant is not None:
        return granted_at, granted_at + timedelta(days=days_after_grant)
    if starts_at is None or ends_at is None:
        raise ValueError("a template has a window or a number of days after the grant")
    return starts_at, ends_at


def shown_status(status: str, *, valid_until: datetime, at: datetime) -> CouponStatus:
    """The status a member sees: an available coupon past its validity shows as expired
    (expiry is read from the time, never swept)."""
    current = CouponStatus(status)
    if current is CouponStatus.AVAILABLE and at >= valid_until:
        return CouponStatus.EXPIRED
    return current


def grant_window_problem(
    *, active: bool, ends_at: datetime | None, days_after_grant: int | None, at: datetime
) -> str | None:
    """Why a template cannot give out coupons now, if it cannot."""
    if not active:
        return "the coupon template is inactive"
    if days_after_grant is None and ends_at is not None and at >= ends_at:
        return "the coupon template's validity has ended"
    return None


@dataclass(frozen=True)
class TemplateTerms:
    kind: CouponKind
    amount: int | None
    percent: int | None
    cap: int | None
    threshold: int | None
    sku: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    days_after_grant: int | None


_KIND_FIELDS: dict[CouponKind, frozenset[str]] = {
    CouponKind.FIXED_AMOUNT: frozenset({"amount"}),
    CouponKind.PERCENT: frozenset({"percent", "cap"}),
    CouponKind.SPEND_SAVE: frozenset({"threshold", "amount"}),
    CouponKind.FREE_ITEM: frozenset({"sku"}),
}
_REQUIRED: dict[CouponKind, frozenset[str]] = {
    CouponKind.FIXED_AMOUNT: frozenset({"amount"}),
    CouponKind.PERCENT: frozenset({"percent"}),
    CouponKind.SPEND_SAVE: frozenset({"threshold", "amount"}),
    CouponKind.FREE_ITEM: frozenset({"sku"}),
}


def template_problems(terms: TemplateTerms) -> list[Problem]:
    """Everything wrong with a template's terms and validity (empty when it is sound)."""
    problems: list[Problem] = []
    values = {
        "amount": terms.amount,
        "percent": terms.percent,
        "cap": terms.cap,
        "threshold": terms.threshold,
        "sku": terms.sku,
    }
    for name, value in values.items():
        if value is None and name in _REQUIRED[terms.kind]:
            problems.append(Problem(name, f"{terms.kind} coupons need {name}"))
        elif value is not None and name not in _KIND_FIELDS[terms.kind]:
            problems.append(Problem(name, f"{name} does not apply to {terms.kind} coupons"))
    if (
        terms.kind is CouponKind.SPEND_SAVE
        and terms.amount is not None
        and terms.threshold is not None
        and terms.amount > terms.threshold
    ):
        problems.append(Problem("amount", "a spend-X-save-Y coupon saves at most X"))
    window = terms.starts_at is not None or terms.ends_at is not None
    if terms.days_after_grant is not None and window:
        problems.append(
            Problem("days_after_grant", "give a window (starts_at, ends_at) or days_after_grant")
        )
    elif terms.days_after_grant is None:
        if terms.starts_at is None:
            problems.append(Problem("starts_at", "a window needs starts_at (or days_after_grant)"))
        if terms.ends_at is None:
            problems.append(Problem("ends_at", "a window needs ends_at (or days_after_grant)"))
        if terms.starts_at and terms.ends_at and terms.ends_at <= terms.starts_at:
            problems.append(Problem("ends_at", "ends_at must be after starts_at"))
    return problems


@dataclass(frozen=True)
class PromotionTerms:
    kind: PromotionKind
    tiers: Sequence[Tier] | None
    percent: int | None
    tier_code: str | None
    skus: Sequence[str]
    categories: Sequence[str]
    starts_at: datetime | None
    ends_at: datetime | None


def promotion_problems(terms: PromotionTerms) -> list[Problem]:
    """Everything wrong with a promotion's terms and window (empty when it is sound)."""
    problems: list[Problem] = []
    kind = terms.kind
    if kind is PromotionKind.SPEND_SAVE_TIERS:
        problems += _tier_problems(terms.tiers)
        if terms.percent is not None:
            problems.append(Problem("percent", "spend_save_tiers promotions save amounts"))
    else:
        if terms.tiers is not None:
            problems.append(Problem("tiers", f"tiers do not apply to {kind} promotions"))
        if terms.percent is None:
            problems.append(Problem("percent", f"{kind} promotions need percent"))
    if kind is PromotionKind.PERCENT_OFF and not terms.skus and not terms.categories:
        problems.append(Problem("skus", "percent_off names the skus or categories it covers"))
    if kind is PromotionKind.TIER_PRICE and not terms.tier_code:
        problems.append(Problem("tier_code", "tier_price promotions name a member tier"))
    if kind is not PromotionKind.TIER_PRICE and terms.tier_code is not None:
        problems.append(Problem("tier_code", f"tier_code does not apply to {kind} promotions"))
    if terms.starts_at and terms.ends_at and terms.ends_at <= terms.starts_at:
        problems.append(Problem("ends_at", "ends_at must be after starts_at"))
    return problems


def _tier_problems(tiers: Sequence[Tier] | None) -> list[Problem]:
    if not tiers:
        return [Problem("tiers", "spend_save_tiers promotions need at least one tier")]
    problems: list[Problem] = []
    if len(tiers) > MAX_TIERS:
        problems.append(Problem("tiers", f"at most {MAX_TIERS} tiers"))
    thresholds = [t.threshold for t in tiers]
    if len(set(thresholds)) != len(thresholds):
        problems.append(Problem("tiers", "each tier needs its own threshold"))
    for n, tier in enumerate(tiers):
        if tier.amount > tier.threshold:
            problems.append(Problem(f"tiers.{n}.amount", "a tier saves at most its threshold"))
    ordered = sorted(tiers, key=lambda t: t.threshold)
    if any(b.amount < a.amount for a, b in pairwise(ordered)):
        problems.append(Problem("tiers", "a higher threshold cannot save less than a lower one"))
    return problems
