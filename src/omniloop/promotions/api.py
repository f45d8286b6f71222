"""``/api/v1/coupon-templates``, a member's ``/coupons``, ``/promotions`` and
``/pricing/quote``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from omniloop.deps import (
    IdempotencyKey,
    UowDep,
    checked_idempotency_key,
    ensure_location_access,
    ensure_member_access,
    require,
    require_self_or,
)
from omniloop.errors import Forbidden, ValidationFailed
from omniloop.idempotency import Outcome
from omniloop.merchants.domain import Permission, Principal
from omniloop.promotions import automatic, coupons, grants, pricing, service
from omniloop.promotions.domain import CouponStatus
from omniloop.promotions.schemas import (
    ClaimIn,
    CouponOut,
    CouponTemplateIn,
    CouponTemplateOut,
    CouponTemplatePatch,
    GrantIn,
    GrantOut,
    PromotionIn,
    PromotionOut,
    PromotionPatch,
    QuoteIn,
    QuoteOut,
)
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(tags=["coupons and promotions"])

Reader = Annotated[Principal, Depends(require(Permission.MARKETING_READ))]
Manager = Annotated[Principal, Depends(require(Permission.MARKETING_MANAGE))]
SelfOrManager = Annotated[Principal, Depends(require_self_or(Permission.MARKETING_MANAGE))]
SelfOrMemberReader = Annotated[Principal, Depends(require_self_or(Permission.MEMBERS_READ))]
SelfOrCatalogReader = Annotated[Principal, Depends(require_self_or(Permission.CATALOG_READ))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]


def _replayable(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


def _member_for(principal: Principal, member_id: uuid.UUID | None) -> uuid.UUID | None:
    """The member a call acts for: a customer's own (named or not), else the one named."""
    if principal.is_customer:
        if member_id is None:
            return principal.member_id
        ensure_member_access(principal, member_id)
    return member_id


# -- coupon templates --------------------------------------------------------------------------


@router.post(
    "/coupon-templates",
    status_code=201,
    response_model=CouponTemplateOut,
    responses={422: {"description": "validation_error (``errors`` names each field)"}},
)
async def create_coupon_template(
    body: CouponTemplateIn, principal: Manager, uow: UowDep
) -> CouponTemplateOut:
    """Create a coupon template: fixed amount, percent off (capped), spend X save Y (满减) or
    a free item; a window or days after the grant; where it applies; limits and quota."""
    return await service.create_template(
        uow=uow, merchant_id=principal.merchant_id, spec=body, actor=principal.actor
    )


@router.get("/coupon-templates", response_model=Page[CouponTemplateOut])
async def list_coupon_templates(
    principal: Reader,
    uow: UowDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    active: bool | None = None,
    campaign_id: uuid.UUID | None = None,
) -> Page[CouponTemplateOut]:
    """The merchant's coupon templates, newest first."""
    items, next_cursor = await service.list_templates(
        uow=uow,
        merchant_id=principal.merchant_id,
        limit=limit,
        cursor=cursor,
        active=active,
        campaign_id=campaign_id,
    )
    return Page[CouponTemplateOut](items=items, next_cursor=next_cursor)


@router.get("/coupon-templates/{template_id}", response_model=CouponTemplateOut)
async def get_coupon_template(
    template_id: uuid.UUID, principal: Reader, uow: UowDep
) -> CouponTemplateOut:
    """One coupon template, with how many coupons it gave out and how many are left."""
    return await service.get_template(
        uow=uow, merchant_id=principal.merchant_id, template_id=template_id
    )


@router.patch(
    "/coupon-templates/{template_id}",
    response_model=CouponTemplateOut,
    responses={409: {"description": "coupon_template_in_use: terms fixed once coupons exist"}},
)
async def update_coupon_template(
    template_id: uuid.UUID, body: CouponTemplatePatch, principal: Manager, uow: UowDep
) -> CouponTemplateOut:
    """Change a template (its terms only until it has given out a coupon)."""
    return await service.update_template(
        uow=uow,
        merchant_id=principal.merchant_id,
        template_id=template_id,
        patch=body,
        actor=principal.actor,
    )


@router.post(
    "/coupon-templates/{template_id}/grants",
    status_code=201,
    response_model=GrantOut,
    responses={
        404: {"description": "coupon_template_not_found, member_not_found"},
        409: {"description": "coupon_quota_exhausted, coupon_template_closed"},
    },
)
async def grant_coupons(
    template_id: uuid.UUID,
    body: GrantIn,
    principal: Manager,
    uow: UowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Give coupons to a member, a list of members or a segment: all or none within the
    quota; members already at their limit are skipped (and listed)."""
    outcome = await grants.grant(
        uow=uow,
        merchant_id=principal.merchant_id,
        template_id=template_id,
        body=body,
        actor=principal.actor,
        idempotency_key=checked_idempotency_key(idempotency_key),
    )
    return _replayable(outcome)


@router.post(
    "/coupon-templates/{template_id}/claims",
    status_code=201,
    response_model=CouponOut,
    responses={
        403: {"description": "coupon_not_claimable, or another member"},
        409: {"description": "coupon_quota_exhausted, coupon_limit_reached"},
    },
)
async def claim_coupon(
    template_id: uuid.UUID,
    body: ClaimIn,
    principal: SelfOrManager,
    uow: UowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A member claims a coupon (领券): a customer for themselves, staff for a member."""
    member_id = _member_for(principal, body.member_id)
    if member_id is None:
        raise ValidationFailed("name the member claiming the coupon", field="member_id")
    outcome = await grants.claim(
        uow=uow,
        merchant_id=principal.merchant_id,
        template_id=template_id,
        member_id=member_id,
        actor=principal.actor,
        idempotency_key=checked_idempotency_key(idempotency_key),
    )
    return _replayable(outcome)


@router.get("/members/{member_id}/coupons", response_model=Page[CouponOut])
async def member_coupons(
    member_id: uuid.UUID,
    principal: SelfOrMemberReader,
    uow: UowDep,
    status: CouponStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[CouponOut]:
    """The member's coupons, newest first; ``status`` as it stands now (an available coupon
    past its validity shows ``expired``)."""
    ensure_member_access(principal, member_id)
    items, next_cursor = await coupons.member_coupons(
        uow=uow,
        merchant_id=principal.merchant_id,
        member_id=member_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    return Page[CouponOut](items=items, next_cursor=next_cursor)


# -- promotions --------------------------------------------------------------------------------


@router.post("/promotions", status_code=201, response_model=PromotionOut)
async def create_promotion(body: PromotionIn, principal: Manager, uow: UowDep) -> PromotionOut:
    """Create an automatic promotion: spend X save Y tiers (满减), percent off a SKU set, or a
    member tier's price; within a window, for given channels and stores."""
    return await automatic.create_promotion(
        uow=uow, merchant_id=principal.merchant_id, spec=body, actor=principal.actor
    )


@router.get("/promotions", response_model=Page[PromotionOut])
async def list_promotions(
    principal: Reader,
    uow: UowDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    active: bool | None = None,
) -> Page[PromotionOut]:
    """The merchant's promotions, newest first."""
    items, next_cursor = await automatic.list_promotions(
        uow=uow, merchant_id=principal.merchant_id, limit=limit, cursor=cursor, active=active
    )
    return Page[PromotionOut](items=items, next_cursor=next_cursor)


@router.get("/promotions/{promotion_id}", response_model=PromotionOut)
async def get_promotion(promotion_id: uuid.UUID, principal: Reader, uow: UowDep) -> PromotionOut:
    """One promotion."""
    return await automatic.get_promotion(
        uow=uow, merchant_id=principal.merchant_id, promotion_id=promotion_id
    )


@router.patch("/promotions/{promotion_id}", response_model=PromotionOut)
async def update_promotion(
    promotion_id: uuid.UUID, body: PromotionPatch, principal: Manager, uow: UowDep
) -> PromotionOut:
    """Change a promotion (``active: false`` ends it at once)."""
    return await automatic.update_promotion(
        uow=uow,
        merchant_id=principal.merchant_id,
        promotion_id=promotion_id,
        patch=body,
        actor=principal.actor,
    )


# -- quotes ------------------------------------------------------------------------------------


@router.post(
    "/pricing/quote",
    response_model=QuoteOut,
    responses={422: {"description": "unknown_sku, unknown_location, validation_error"}},
)
async def quote(body: QuoteIn, principal: SelfOrCatalogReader, uow: UowDep) -> QuoteOut:
    """Price a cart the way an order would be priced now: catalog prices, member price,
    promotions and coupons, with which rule took what off which line. Coupons that do not
    apply come back with a reason."""
    member_id = _member_for(principal, body.member_id)
    reads_members = principal.is_customer or principal.can(Permission.MEMBERS_READ)
    if member_id is not None and not reads_members:
        raise Forbidden(f"role {principal.role.value!r} may not price a member's cart")
    if body.location is not None:
        ensure_location_access(principal, body.location)
    return await pricing.quote(
        uow=uow, merchant_id=principal.merchant_id, body=body, member_id=member_id
    )
