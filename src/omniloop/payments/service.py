"""Payment use cases: open a payment, apply a provider callback, refund, simulate (sandbox)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.config import Settings
from omniloop.db import UnitOfWork
from omniloop.events import record_event
from omniloop.idempotency import Outcome as IdempotentOutcome
from omniloop.idempotency import run_once
from omniloop.loyalty.models import TopUp
from omniloop.loyalty.topups import (
    fail_top_up_in,
    load_top_up,
    settle_top_up_in,
)
from omniloop.orders.domain import OrderStatus, TenderKind
from omniloop.orders.lifecycle import apply_refund
from omniloop.orders.models import Order
from omniloop.orders.tenders import amount_due
from omniloop.orders.transitions import settle_payment
from omniloop.orders.views import load_order
from omniloop.payments.domain import (
    CallbackEvent,
    Outcome,
    PaymentStatus,
    RefundStatus,
    applies,
)
from omniloop.payments.errors import (
    InvalidCallback,
    NothingToRefund,
    PaymentAlreadyDecided,
    PaymentNotAllowed,
    PaymentNotFound,
    ProviderRefused,
)
from omniloop.payments.models import Payment, PaymentCredential, Refund, SandboxCallback
from omniloop.payments.providers import PaymentProvider, PaymentRequest, get_provider
from omniloop.payments.schemas import (
    OrderTotals,
    PaymentOut,
    RefundOut,
    SandboxOutcomeOut,
)
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

Authorize = Callable[[Order], None]


def payment_view(payment: Payment) -> dict[str, Any]:
    return PaymentOut.model_validate(payment, from_attributes=True).model_dump(mode="json")


def payment_request(payment: Payment, order: Order | TopUp) -> PaymentRequest:
    """What the provider is told; a top-up is named like an order (``topup-<id>``)."""
    reference = order.number if isinstance(order, Order) else f"topup-{order.id.hex[:16]}"
    return PaymentRequest(
        merchant_id=payment.merchant_id,
        payment_id=payment.id,
        order_id=order.id,
        order_number=reference,
        amount=payment.amount,
        currency=payment.currency,
        provider_ref=payment.provider_ref,
    )


async def provider_secret(session: AsyncSession, merchant_id: uuid.UUID, provider: str) -> str:
    """The merchant's secret for ``provider``, made on first use (in the caller's transaction)."""
    credential = await session.get(PaymentCredential, (merchant_id, provider))
    if credential is None:
        credential = PaymentCredential(
            merchant_id=merchant_id, provider=provider, secret=secrets.token_urlsafe(32)
        )
        session.add(credential)
        await session.flush()
    return credential.secret


async def open_payment(
    uow: UnitOfWork,
    gateway: PaymentProvider,
    subject: Order | TopUp,
    *,
    amount: int,
    currency: str,
    actor: str,
) -> Payment:
    """Open a payment of ``amount`` for an order or a top-up at the gateway."""
    is_order = isinstance(subject, Order)
    payment = Payment(
        merchant_id=subject.merchant_id,
        id=new_id(),
        order_id=subject.id if is_order else None,
        top_up_id=None if is_order else subject.id,
        provider=gateway.name,
        amount=amount,
        currency=currency,
        status=PaymentStatus.PENDING.value,
        applied=False,
        created_by=actor,
        created_at=utcnow(),
    )
    await provider_secret(uow.session, subject.merchant_id, gateway.name)
    opened = await gateway.create_payment(payment_request(payment, subject))
    payment.pay_url, payment.qr_payload = opened.pay_url, opened.qr_payload
    payment.provider_ref = opened.provider_ref
    uow.session.add(payment)
    record_event(
        uow.session,
        merchant_id=subject.merchant_id,
        type="payment.created",
        data={
            "payment_id": str(payment.id),
            "order_id": str(payment.order_id) if payment.order_id else None,
            "top_up_id": str(payment.top_up_id) if payment.top_up_id else None,
            "amount": amount,
        },
    )
    return payment


async def create_payment(
    *,
    uow: UnitOfWork,
    settings: Settings,
    merchant_id: uuid.UUID,
    order_id: uuid.UUID,
    provider: str,
    actor: str,
    authorize: Authorize,
) -> dict[str, Any]:
    """Open a payment of a pending_payment order's total with ``provider``."""
    gateway = get_provider(provider, settings)
    async with uow:
        order = await load_order(uow.session, merchant_id, order_id, lock=True)
        authorize(order)
        if order.status != OrderStatus.PENDING_PAYMENT.value:
            raise PaymentNotAllowed(
                f"order {order.number} is {order.status}, not pending_payment",
                status_now=order.status,
            )
        payment = await open_payment(
            uow,
            gateway,
            order,
            amount=await amount_due(uow.session, order),
            currency=order.currency,
            actor=actor,
        )
        view = payment_view(payment)
        await uow.commit()
    return view


async def handle_callback(
    *,
    uow: UnitOfWork,
    settings: Settings,
    provider: str,
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """Apply a provider's signed notification once; repeats and late arrivals change nothing.

    A success for an order that can no longer be paid (expired, cancelled, or paid by another
    payment) still marks the payment succeeded, since the customer's money was taken, and
    refunds it in full through the provider at once, without touching the order.
    """
    gateway = get_provider(provider, settings)
    merchant_id = gateway.callback_merchant(headers, body)
    if merchant_id is None:
        raise InvalidCallback("the notification does not name a merchant")
    async with uow:
        credential = await uow.session.get(PaymentCredential, (merchant_id, gateway.name))
        if credential is None:
            raise InvalidCallback("no credentials for this merchant and provider")
        event = gateway.verify_callback(headers, body, secret=credential.secret)
        if event.merchant_id != merchant_id:
            raise InvalidCallback("the notification names another merchant")
        payment = await uow.session.scalar(
            select(Payment)
            .where(Payment.merchant_id == merchant_id, Payment.id == event.payment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if payment is None or payment.provider != gateway.name:
            raise PaymentNotFound(f"no {gateway.name} payment {event.payment_id}")
        if not applies(PaymentStatus(payment.status)):
            return {"received": True, "applied": False, "payment_status": payment.status}
        if payment.top_up_id is not None:
            await _apply_top_up_callback(uow, gateway, payment, event)
            ack = {"received": True, "applied": True, "payment_status": payment.status}
            await uow.commit()
            return ack
        assert payment.order_id is not None
        # Lock the order before changing anything so a racing expiry sees our result.
        order = await load_order(uow.session, merchant_id, payment.order_id, lock=True)
        payment.settled_at = utcnow()
        actor = f"provider:{gateway.name}"
        data = {"payment_id": str(payment.id), "order_id": str(order.id)}
        if event.outcome is Outcome.FAILED:
            payment.status = PaymentStatus.FAILED.value
            record_event(uow.session, merchant_id=merchant_id, type="payment.failed", data=data)
        else:
            payment.status = PaymentStatus.SUCCEEDED.value
            record_event(uow.session, merchant_id=merchant_id, type="payment.succeeded", data=data)
            payable = (
                order.status == OrderStatus.PENDING_PAYMENT.value
                and event.amount == payment.amount == await amount_due(uow.session, order)
            )
            if payable:
                payment.applied = True
                await settle_payment(
                    uow,
                    order,
                    amount=payment.amount,
                    actor=actor,
                    kind=TenderKind.PROVIDER,
                    reference=str(payment.id),
                )
            else:
                await _refund_unpayable(uow, gateway, payment, order, amount=event.amount)
        ack = {"received": True, "applied": True, "payment_status": payment.status}
        await uow.commit()
    return ack


async def _apply_top_up_callback(
    uow: UnitOfWork, gateway: PaymentProvider, payment: Payment, event: CallbackEvent
) -> None:
    assert payment.top_up_id is not None
    top_up = await load_top_up(uow.session, payment.merchant_id, payment.top_up_id, lock=True)
    payment.settled_at = utcnow()
    data = {"payment_id": str(payment.id), "top_up_id": str(top_up.id)}
    if event.outcome is Outcome.FAILED:
        payment.status = PaymentStatus.FAILED.value
        fail_top_up_in(top_up)
        record_event(uow.session, merchant_id=payment.merchant_id, type="payment.failed", data=data)
        return
    payment.status = PaymentStatus.SUCCEEDED.value
    record_event(uow.session, merchant_id=payment.merchant_id, type="payment.succeeded", data=data)
    if event.amount == payment.amount == top_up.amount and await settle_top_up_in(
        uow.session, top_up, actor=f"provider:{gateway.name}"
    ):
        payment.applied = True
        return
    await _refund_unpayable(
        uow, gateway, payment, top_up, amount=event.amount, why=f"top-up was {top_up.status}"
    )


async def _refund_unpayable(
    uow: UnitOfWork,
    gateway: PaymentProvider,
    payment: Payment,
    order: Order | TopUp,
    *,
    amount: int,
    why: str | None = None,
) -> None:
    refund_id = new_id()
    gateway_refund = await gateway.refund(payment_request(payment, order), amount, refund_id)
    uow.session.add(
        Refund(
            merchant_id=payment.merchant_id,
            id=refund_id,
            order_id=payment.order_id,
            payment_id=payment.id,
            amount=amount,
            reason=why or f"order was {order.status} when the payment arrived",
            lines=[],
            restock=False,
            status=gateway_refund.status.value,
            provider_ref=gateway_refund.provider_ref,
            created_by="system:payments",
            created_at=utcnow(),
        )
    )
    record_event(
        uow.session,
        merchant_id=payment.merchant_id,
        type="payment.refunded",
        data={
            "payment_id": str(payment.id),
            "order_id": str(payment.order_id) if payment.order_id else None,
            "top_up_id": str(payment.top_up_id) if payment.top_up_id else None,
            "refund_id": str(refund_id),
            "amount": amount,
            "automatic": True,
        },
    )


def _totals(order: Order) -> dict[str, Any]:
    return OrderTotals(
        paid_total=order.paid_total,
        refunded_total=order.refunded_total,
        net_total=order.paid_total - order.refunded_total,
        payment_status=order.payment_status,
        status=order.status,
    ).model_dump(mode="json")


async def _refund_through_provider(
    uow: UnitOfWork,
    settings: Settings,
    order: Order,
    amount: int,
    line_qtys: dict[str, int] | None,
    restock: bool,
    reason: str | None,
    actor: str,
) -> dict[str, Any]:
    payment = await uow.session.scalar(
        select(Payment)
        .where(
            Payment.merchant_id == order.merchant_id,
            Payment.order_id == order.id,
            Payment.status == PaymentStatus.SUCCEEDED.value,
            Payment.applied.is_(True),
        )
        .order_by(Payment.settled_at.desc())
        .limit(1)
    )
    if payment is None:
        raise NothingToRefund(f"order {order.number} has no payment taken through Omniloop")
    refund_id = new_id()
    gateway = get_provider(payment.provider, settings)
    result = await gateway.refund(payment_request(payment, order), amount, refund_id)
    if result.status is RefundStatus.FAILED:
        raise ProviderRefused(f"{payment.provider} refused the refund")
    refund = Refund(
        merchant_id=order.merchant_id,
        id=refund_id,
        order_id=order.id,
        payment_id=payment.id,
        amount=amount,
        reason=reason,
        lines=[{"sku": s, "qty": q} for s, q in sorted((line_qtys or {}).items())],
        restock=restock,
        status=result.status.value,
        provider_ref=result.provider_ref,
        created_by=actor,
        created_at=utcnow(),
    )
    uow.session.add(refund)
    record_event(
        uow.session,
        merchant_id=order.merchant_id,
        type="payment.refunded",
        data={
            "payment_id": str(payment.id),
            "order_id": str(order.id),
            "refund_id": str(refund_id),
            "amount": amount,
            "automatic": False,
        },
    )
    await uow.session.flush()
    return RefundOut.model_validate(refund, from_attributes=True).model_dump(mode="json")


async def refund_order(
    *,
    uow: UnitOfWork,
    settings: Settings,
    merchant_id: uuid.UUID,
    order_id: uuid.UUID,
    amount: int | None,
    line_qtys: dict[str, int] | None,
    restock: bool,
    reason: str | None,
    actor: str,
    idempotency_key: str | None,
    authorize: Authorize,
) -> IdempotentOutcome:
    """Refund units or an amount of a paid order: each tender's share goes back where it
    came from (points and wallet to the member, money through the payment's provider)."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        order = await load_order(uow.session, merchant_id, order_id, lock=True)
        authorize(order)
        split = await apply_refund(
            uow,
            order,
            amount=amount,
            line_qtys=line_qtys,
            restock=restock,
            actor=actor,
            reason=reason,
        )
        if split.amount(TenderKind.EXTERNAL) > 0:
            raise NothingToRefund(
                f"order {order.number} was paid outside Omniloop (at the till or through a "
                "platform): refund it there"
            )
        refund_view = None
        to_provider = split.amount(TenderKind.PROVIDER)
        if to_provider > 0:
            refund_view = await _refund_through_provider(
                uow, settings, order, to_provider, line_qtys, restock, reason, actor
            )
        return 201, {
            "refund": refund_view,
            "order": _totals(order),
            "tenders": {kind.value: part for kind, part in split.by_kind.items()},
            "points_returned": split.points_returned,
        }

    return await run_once(
        uow=uow,
        merchant_id=merchant_id,
        scope=f"refund:{order_id}",
        key=idempotency_key,
        payload={
            "amount": amount,
            "lines": line_qtys,
            "restock": restock,
            "reason": reason,
        },
        action=action,
    )


async def simulate_outcome(
    *,
    uow: UnitOfWork,
    settings: Settings,
    merchant_id: uuid.UUID,
    payment_id: uuid.UUID,
    outcome: Outcome,
    authorize: Authorize,
    authorize_member: Callable[[uuid.UUID], None] | None = None,
) -> dict[str, Any]:
    """Sandbox only: the customer pays (or fails to); the signed callback is queued."""
    from omniloop.payments.sandbox import NAME

    if not settings.sandbox:
        raise PaymentNotFound("the sandbox is turned off in this deployment")
    async with uow:
        payment = await uow.session.scalar(
            select(Payment)
            .where(Payment.merchant_id == merchant_id, Payment.id == payment_id)
            .with_for_update()
        )
        if payment is None or payment.provider != NAME:
            raise PaymentNotFound(f"no sandbox payment {payment_id}")
        if payment.order_id is not None:
            authorize(await load_order(uow.session, merchant_id, payment.order_id))
        elif payment.top_up_id is not None and authorize_member is not None:
            top_up = await load_top_up(uow.session, merchant_id, payment.top_up_id)
            authorize_member(top_up.member_id)
        queued = await uow.session.scalar(
            select(SandboxCallback).where(
                SandboxCallback.merchant_id == merchant_id,
                SandboxCallback.payment_id == payment.id,
            )
        )
        if queued is not None or payment.status != PaymentStatus.PENDING.value:
            raise PaymentAlreadyDecided(
                f"payment {payment_id} already has an outcome",
                outcome=queued.outcome if queued is not None else payment.status,
            )
        uow.session.add(
            SandboxCallback(
                merchant_id=merchant_id,
                id=new_id(),
                payment_id=payment.id,
                outcome=outcome.value,
                attempts=0,
                next_attempt_at=utcnow(),
                created_at=utcnow(),
            )
        )
        await uow.commit()
    return SandboxOutcomeOut(payment_id=payment_id, outcome=outcome.value).model_dump(mode="json")
