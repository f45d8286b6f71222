"""``/api/v1/orders``: intake from every channel, the store queue, transitions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from omniloop.channels.service import configured_channels
from omniloop.deps import (
    DbDep,
    IdempotencyKey,
    SettingsDep,
    UowDep,
    checked_idempotency_key,
    ensure_location_access,
    require_self_or,
)
from omniloop.errors import Forbidden, ValidationFailed
from omniloop.marketing.domain import VISITOR_COOKIE
from omniloop.merchants.domain import Permission, Principal, Role
from omniloop.orders import lifecycle, service
from omniloop.orders.domain import FIRST_PARTY_ONLINE, POS, Action, OrderStatus
from omniloop.orders.errors import OrderNotFound
from omniloop.orders.models import Order
from omniloop.orders.schemas import OrderCreate, OrderOut, TransitionIn
from omniloop.orders.views import redact
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(tags=["orders"])

FIRST_PARTY_CHANNELS = FIRST_PARTY_ONLINE | {POS}

Reader = Annotated[Principal, Depends(require_self_or(Permission.ORDERS_READ))]
Writer = Annotated[Principal, Depends(require_self_or(Permission.ORDERS_WRITE))]
Fulfiller = Annotated[Principal, Depends(require_self_or(Permission.ORDERS_FULFIL))]


def _shown(view: dict[str, Any], principal: Principal) -> dict[str, Any]:
    return redact(view, may_see_pickup_code=principal.may_see_pickup_codes)


def _ensure_order_access(principal: Principal, view_or_order: dict[str, Any] | Order) -> None:
    if principal.is_customer:
        member = (
            view_or_order.get("member_id")
            if isinstance(view_or_order, dict)
            else view_or_order.member_id
        )
        if member is None or str(member) != str(principal.member_id):
            order_id = view_or_order["id"] if isinstance(view_or_order, dict) else view_or_order.id
            raise OrderNotFound(f"no order {order_id}")  # not theirs: not there
        return
    location = (
        view_or_order.get("location")
        if isinstance(view_or_order, dict)
        else view_or_order.location_code
    )
    if principal.location_bound and (location is None or location not in principal.locations):
        raise Forbidden("this key does not act for the order's location")


def _check_member_context(principal: Principal, body: OrderCreate) -> None:
    if principal.is_customer:
        if body.channel not in FIRST_PARTY_ONLINE:
            raise Forbidden("customers order through own_app, web or mini_program")
        if body.member_scan_id is not None or body.member_id not in (None, principal.member_id):
            raise Forbidden("a customer token orders only for its own member")
        return
    if body.member_id is not None and body.member_scan_id is not None:
        raise ValidationFailed("give member_id or member_scan_id, not both", field="member_id")
    trusted = principal.role in (Role.OWNER, Role.INTEGRATOR)
    if body.member_id is not None and not (trusted or principal.role is Role.OPERATOR):
        raise Forbidden("store staff identify a member by scanning their member code")
    if body.tenders is not None and body.member_scan_id is None and not trusted:
        raise Forbidden(
            "points and wallet need the member's consent: scan their member code "
            "(member_scan_id) or let them order with their own token"
        )
    if body.member_scan_id is not None and body.fulfillment.location is None:
        raise ValidationFailed(
            "a scanned member orders at the store that scanned them", field="fulfillment.location"
        )


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderOut,
    responses={
        200: {"description": "a repeat of an external_id: the existing order"},
        409: {"description": "no_fulfillment_location, insufficient_stock, idempotency_conflict"},
    },
)
async def create_order(
    body: OrderCreate,
    request: Request,
    principal: Writer,
    db: DbDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Place an order from any channel; the server prices, routes and holds the stock.

    The order joins a member: a signed-in customer's own, the one a POS scanned
    (``member_scan_id``), ``member_id``, or the one with the customer's phone. Points and
    wallet ``tenders`` need the member's consent: their own token or a scan of their member
    code (owner and integrator keys are trusted to have it)."""
    _check_member_context(principal, body)
    if body.visitor_id is None and VISITOR_COOKIE in request.cookies:
        body = body.model_copy(update={"visitor_id": request.cookies[VISITOR_COOKIE][:64]})
    if body.channel not in FIRST_PARTY_CHANNELS:
        configured = await configured_channels(uow=db.uow(), merchant_id=principal.merchant_id)
        if body.channel not in configured:
            raise ValidationFailed(
                f"unknown channel {body.channel!r}: use own_app, web, mini_program, pos or a "
                "channel with an active channel connection",
                field="channel",
            )
    if principal.location_bound:
        if body.fulfillment.location is None:
            raise Forbidden("store staff place orders for one of their own locations")
        ensure_location_access(principal, body.fulfillment.location)
    placed = await service.place_order(
        db=db,
        merchant_id=principal.merchant_id,
        body=body,
        actor=principal.actor,
        idempotency_key=checked_idempotency_key(idempotency_key),
        payment_timeout_seconds=settings.order_payment_timeout_seconds,
        member_id=principal.member_id if principal.is_customer else None,
    )
    headers = {"Idempotent-Replayed": "true"} if placed.replayed else None
    return JSONResponse(
        _shown(placed.body, principal), status_code=placed.status_code, headers=headers
    )


@router.get("/orders", response_model=Page[OrderOut])
async def list_orders(
    principal: Reader,
    uow: UowDep,
    location: Annotated[str | None, Query(max_length=64)] = None,
    status: OrderStatus | None = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    since: AwareDatetime | None = None,
    member_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """The store queue, oldest first; store staff see their own locations only, customers
    their own orders."""
    if location is not None:
        ensure_location_access(principal, location)
    views, next_cursor = await lifecycle.list_orders(
        uow=uow,
        merchant_id=principal.merchant_id,
        location=location,
        status=status,
        channel=channel,
        since=since,
        only_locations=principal.locations if principal.location_bound else None,
        limit=limit,
        cursor=cursor,
        member_id=principal.member_id if principal.is_customer else member_id,
    )
    return {"items": [_shown(v, principal) for v in views], "next_cursor": next_cursor}


@router.get("/orders/{order_id}", response_model=OrderOut)
async def get_order(order_id: uuid.UUID, principal: Reader, uow: UowDep) -> dict[str, Any]:
    """One order with its lines, routing decision and history."""
    view = await lifecycle.get_order(uow=uow, merchant_id=principal.merchant_id, order_id=order_id)
    _ensure_order_access(principal, view)
    return _shown(view, principal)


@router.post(
    "/orders/{order_id}/transitions",
    response_model=OrderOut,
    responses={409: {"description": "invalid_transition"}},
)
async def transition_order(
    order_id: uuid.UUID, body: TransitionIn, principal: Fulfiller, uow: UowDep
) -> dict[str, Any]:
    """Accept, start, ready, dispatch, deliver, complete or cancel an order. A customer may
    only cancel their own order before paying it (their points and wallet come back)."""
    if principal.is_customer and body.action is not Action.CANCEL:
        raise Forbidden("customers may only cancel their own unpaid orders")

    def authorize(order: Order) -> None:
        _ensure_order_access(principal, order)
        if principal.is_customer and order.status != OrderStatus.PENDING_PAYMENT.value:
            raise Forbidden("a paid order is cancelled by the store (ask for a refund)")

    view = await lifecycle.transition(
        uow=uow,
        merchant_id=principal.merchant_id,
        order_id=order_id,
        action=body.action,
        reason=body.reason,
        actor=principal.actor,
        authorize=authorize,
    )
    return _shown(view, principal)
