"""Coupon and promotion errors::

    OmniloopError
    ├── ValidationFailed  422  validation_error          terms that do not make a coupon or
    │                                                   promotion (``errors`` names each field)
    ├── Forbidden         403  coupon_not_claimable      customers claim only claimable templates
    ├── NotFound          404  coupon_template_not_found
    │                     404  promotion_not_found
    └── Conflict          409  coupon_quota_exhausted    the grant would pass the total quota
                          409  coupon_limit_reached      the member has all they may get
                          409  coupon_template_closed    inactive, or its window has ended
                          409  coupon_template_in_use    terms cannot change once coupons exist
                          409  coupon_unavailable        an order cannot hold the coupon

Unknown SKUs and locations in terms answer inventory's 422 ``unknown_sku`` /
``unknown_location``; an unknown member members' 404 ``member_not_found``. A coupon that does
not apply to a cart is not an error: pricing returns it with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from omniloop.errors import Conflict, Forbidden, NotFound, ValidationFailed
from omniloop.promotions.rules import Problem


class CouponTemplateNotFound(NotFound):
    code, title = "coupon_template_not_found", "Coupon template not found"


class PromotionNotFound(NotFound):
    code, title = "promotion_not_found", "Promotion not found"


class CouponNotClaimable(Forbidden):
    code, title = "coupon_not_claimable", "Coupon cannot be claimed"


class CouponQuotaExhausted(Conflict):
    code, title = "coupon_quota_exhausted", "Coupon quota exhausted"


class CouponLimitReached(Conflict):
    code, title = "coupon_limit_reached", "Coupon limit per member reached"


class CouponTemplateClosed(Conflict):
    code, title = "coupon_template_closed", "Coupon template closed"


class CouponTemplateInUse(Conflict):
    code, title = "coupon_template_in_use", "Coupon template in use"


class CouponUnavailable(Conflict):
    code, title = "coupon_unavailable", "Coupon unavailable"


def invalid_terms(problems: Sequence[Problem]) -> ValidationFailed:
    """A 422 listing every problem by field."""
    summary = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
    return ValidationFailed(
        summary, errors=[{"field": p.field, "message": p.message} for p in problems]
    )
