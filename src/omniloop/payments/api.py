"""Payments: open a payment, refunds, the provider callback and the sandbox simulation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from omniloop.config import Settings
from omniloop.db import UnitOfWork
from omniloop.deps import (
    IdempotencyKey,
    SettingsDep,
    UowDep,
    checked_idempotency_key,
    ensure_member_access,
    require,
    require_self_or,
)
from omniloop.errors import Forbidden
from omniloop.loyalty.errors import TopUpNotFound
from omniloop.merchants.domain import Permission, Principal
from omniloop.orders.errors import OrderNotFound
from omniloop.orders.models import Order
from omniloop.payments import service, top_ups
from omniloop.payments.domain import Outcome
from omniloop.payments.sandbox import NAME as SANDBOX
from omniloop.payments.schemas import (
    CallbackAck,
    PaymentCreate,
    PaymentOut,
    RefundCreate,
    RefundResult,
    SandboxOutcomeOut,
    TopUpCreate,
    TopUpOut,
    TopUpRefundCreate,
    TopUpRefundResult,
)

router = APIRouter(tags=["payments"])

Writer = Annotated[Principal, Depends(require_self_or(Permission.ORDERS_WRITE))]
Refunder = Annotated[Principal, Depends(require(Permission.PAYMENTS_REFUND))]
TopUpSeller = Annotated[Principal, Depends(require_self_or(Permission.WALLET_TOP_UP))]
TopUpReader = Annotated[Principal, Depends(require_self_or(Permission.MEMBERS_READ))]


def _access(principal: Principal) -> Callable[[Order], None]:
    def authorize(order: Order) -> None:
        if principal.is_customer and order.member_id != principal.member_id:
            raise OrderNotFound(f"no order {order.id}")  # not theirs: not there
        if principal.location_bound and order.location_code not in principal.locations:
            raise Forbidden("this key does not act for the order's location")

    return authorize


def _member_access(principal: Principal) -> Callable[[uuid.UUID], None]:
    return lambda member_id: ensure_member_access(principal, member_id)


@router.post(
    "/orders/{order_id}/payments",
    status_code=201,
    response_model=PaymentOut,
    responses={
        409: {"description": "payment_not_allowed"},
        422: {"description": "unknown_provider"},
    },
)
async def create_payment(
    order_id: uuid.UUID,
    body: PaymentCreate,
    principal: Writer,
    uow: UowDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Open a payment for a pending_payment order: a pay URL and a QR payload to show."""
    return await service.create_payment(
        uow=uow,
        settings=settings,
        merchant_id=principal.merchant_id,
        order_id=order_id,
        provider=body.provider,
        actor=principal.actor,
        authorize=_access(principal),
    )


@router.post(
    "/orders/{order_id}/refunds",
    status_code=201,
    response_model=RefundResult,
    responses={409: {"description": "refund_exceeds_paid, no_refundable_payment"}},
)
async def refund_order(
    order_id: uuid.UUID,
    body: RefundCreate,
    principal: Refunder,
    uow: UowDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Refund units (optionally back in stock) or an amount through the payment's provider."""
    outcome = await service.refund_order(
        uow=uow,
        settings=settings,
        merchant_id=principal.merchant_id,
        order_id=order_id,
        amount=body.amount,
        line_qtys=body.line_qtys(),
        restock=body.restock,
        reason=body.reason,
        actor=principal.actor,
        idempotency_key=checked_idempotency_key(idempotency_key),
        authorize=_access(principal),
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@router.post(
    "/payments/callbacks/sandbox",
    response_model=CallbackAck,
    responses={401: {"description": "invalid_callback_signature"}},
)
async def sandbox_callback(request: Request, uow: UowDep, settings: SettingsDep) -> dict[str, Any]:
    """The sandbox gateway's signed notification (no API key: the signature authenticates)."""
    return await service.handle_callback(
        uow=uow,
        settings=settings,
        provider=SANDBOX,
        headers=request.headers,
        body=await request.body(),
    )


async def _simulate(
    payment_id: uuid.UUID,
    outcome: Outcome,
    principal: Principal,
    uow: UnitOfWork,
    settings: Settings,
) -> dict[str, Any]:
    return await service.simulate_outcome(
        uow=uow,
        settings=settings,
        merchant_id=principal.merchant_id,
        payment_id=payment_id,
        outcome=outcome,
        authorize=_access(principal),
        authorize_member=_member_access(principal),
    )


@router.post(
    "/sandbox/payments/{payment_id}/succeed", status_code=202, response_model=SandboxOutcomeOut
)
async def sandbox_succeed(
    payment_id: uuid.UUID, principal: Writer, uow: UowDep, settings: SettingsDep
) -> dict[str, Any]:
    """Sandbox: the customer pays; the signed callback follows asynchronously."""
    return await _simulate(payment_id, Outcome.SUCCEEDED, principal, uow, settings)


@router.post(
    "/sandbox/payments/{payment_id}/fail", status_code=202, response_model=SandboxOutcomeOut
)
async def sandbox_fail(
    payment_id: uuid.UUID, principal: Writer, uow: UowDep, settings: SettingsDep
) -> dict[str, Any]:
    """Sandbox: the customer's payment fails; the signed callback follows asynchronously."""
    return await _simulate(payment_id, Outcome.FAILED, principal, uow, settings)


@router.post(
    "/members/{member_id}/wallet/top-ups",
    status_code=201,
    response_model=TopUpOut,
    tags=["members"],
    responses={422: {"description": "unknown_provider"}},
)
async def create_top_up(
    member_id: uuid.UUID,
    body: TopUpCreate,
    principal: TopUpSeller,
    uow: UowDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Top up a member's wallet (储值充值): pay ``amount`` through the provider; once paid,
    the wallet gets the amount plus the program's bonus for it."""
    ensure_member_access(principal, member_id)
    outcome = await top_ups.create_top_up(
        uow=uow,
        settings=settings,
        merchant_id=principal.merchant_id,
        member_id=member_id,
        amount=body.amount,
        provider=body.provider,
        actor=principal.actor,
        idempotency_key=checked_idempotency_key(idempotency_key),
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@router.get(
    "/members/{member_id}/wallet/top-ups/{top_up_id}", response_model=TopUpOut, tags=["members"]
)
async def get_top_up(
    member_id: uuid.UUID, top_up_id: uuid.UUID, principal: TopUpReader, uow: UowDep
) -> dict[str, Any]:
    """A top-up and its payment: poll it until the provider's callback has settled it."""
    ensure_member_access(principal, member_id)

    def authorize(owner: uuid.UUID) -> None:
        if owner != member_id:
            raise TopUpNotFound(f"no top-up {top_up_id} for member {member_id}")
        ensure_member_access(principal, owner)

    return await top_ups.get_top_up(
        uow=uow, merchant_id=principal.merchant_id, top_up_id=top_up_id, authorize_member=authorize
    )


@router.post(
    "/members/{member_id}/wallet/top-ups/{top_up_id}/refunds",
    status_code=201,
    response_model=TopUpRefundResult,
    tags=["members"],
    responses={409: {"description": "tender_refused, no_refundable_payment"}},
)
async def refund_top_up(
    member_id: uuid.UUID,
    top_up_id: uuid.UUID,
    body: TopUpRefundCreate,
    principal: Refunder,
    uow: UowDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Refund what is left of a top-up's principal (or ``amount`` of it) to the customer;
    the matching share of its bonus is forfeited."""
    outcome = await top_ups.refund_top_up(
        uow=uow,
        settings=settings,
        merchant_id=principal.merchant_id,
        member_id=member_id,
        top_up_id=top_up_id,
        amount=body.amount,
        reason=body.reason,
        actor=principal.actor,
        idempotency_key=checked_idempotency_key(idempotency_key),
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)
