"""``/api/v1``: redemption at a location, and delivery notes of orders."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from omniloop.deps import UowDep, ensure_location_access, require
from omniloop.errors import Forbidden
from omniloop.fulfilment import service
from omniloop.fulfilment.domain import CodeKind, sees_full_phone
from omniloop.fulfilment.printable import render_delivery_note
from omniloop.fulfilment.schemas import (
    AnyRedemptionOut,
    AttemptOut,
    AttemptPage,
    DeliveryNoteOut,
    RedeemIn,
)
from omniloop.merchants.domain import Permission, Principal
from omniloop.orders.models import Order
from omniloop.orders.views import redact
from omniloop.vouchers.views import redact as redact_voucher

router = APIRouter(tags=["fulfilment"])

Reader = Annotated[Principal, Depends(require(Permission.ORDERS_READ))]
Fulfiller = Annotated[Principal, Depends(require(Permission.ORDERS_FULFIL))]
LocationCode = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "/locations/{code}/redemptions",
    response_model=AnyRedemptionOut,
    responses={
        404: {"description": "invalid_code (or no such location)"},
        409: {
            "description": "code_already_used, invalid_transition (order not ready); for "
            "vouchers also voucher_expired, voucher_void, voucher_not_valid_here, "
            "partial_redemption_not_allowed, voucher_balance_exceeded"
        },
        429: {"description": "rate_limited: too many wrong codes, see Retry-After"},
    },
)
async def redeem(
    code: LocationCode, body: RedeemIn, principal: Fulfiller, uow: UowDep
) -> dict[str, Any]:
    """Redeem the code the customer shows (typed or scanned): a pickup code hands the order
    over; a voucher code takes ``amount`` (or all that is left) off the voucher. The answer's
    ``redeemed`` says which it was."""
    ensure_location_access(principal, code)
    kind, view = await service.redeem(
        uow=uow,
        merchant_id=principal.merchant_id,
        location=code,
        raw_code=body.code,
        actor=principal.actor,
        amount=body.amount,
    )
    if kind is CodeKind.VOUCHER:
        return redact_voucher(view, may_see_codes=principal.may_see_pickup_codes)
    shown = redact(view, may_see_pickup_code=principal.may_see_pickup_codes)
    return {**shown, "redeemed": kind.value}


@router.get("/locations/{code}/redemptions", response_model=AttemptPage)
async def list_redemptions(
    code: LocationCode,
    principal: Fulfiller,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AttemptPage:
    """The location's latest redemption attempts (codes shown as hints only), newest first."""
    ensure_location_access(principal, code)
    attempts = await service.list_attempts(
        uow=uow, merchant_id=principal.merchant_id, location=code, limit=limit
    )
    return AttemptPage(items=[AttemptOut.model_validate(a) for a in attempts])


def _ensure_order_access(principal: Principal, order: Order) -> None:
    if principal.location_bound and (
        order.location_code is None or order.location_code not in principal.locations
    ):
        raise Forbidden("this key does not act for the order's location")


def _wants_html(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


@router.get(
    "/orders/{order_id}/delivery-note",
    response_model=DeliveryNoteOut,
    responses={
        200: {"content": {"text/html": {}}, "description": "JSON, or printable HTML"},
        409: {"description": "not_a_delivery_order"},
    },
)
async def delivery_note(
    order_id: uuid.UUID,
    request: Request,
    principal: Reader,
    uow: UowDep,
    format: Literal["json", "html"] | None = None,
) -> Any:
    """The delivery note: store, items, customer, distance, ETA and a navigation link
    (``?format=html`` or ``Accept: text/html`` for the printable page)."""
    note = await service.delivery_note(
        uow=uow,
        merchant_id=principal.merchant_id,
        order_id=order_id,
        full_phone=sees_full_phone(principal.role.value),
        authorize=lambda order: _ensure_order_access(principal, order),
    )
    if _wants_html(request, format):
        return HTMLResponse(render_delivery_note(note))
    return JSONResponse(note.model_dump(mode="json"))
