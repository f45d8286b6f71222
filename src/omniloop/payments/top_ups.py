"""Top-ups (储值充值) through a payment provider: open one with its payment, read it, and
refund its unspent principal. The provider's callback is applied by
:func:`omniloop.payments.service.handle_callback`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.config import Settings
from omniloop.db import UnitOfWork
from omniloop.idempotency import Outcome as IdempotentOutcome
from omniloop.idempotency import run_once
from omniloop.loyalty.errors import TopUpNotFound
from omniloop.loyalty.models import TopUp
from omniloop.loyalty.topups import load_top_up, open_top_up_in, refund_top_up_in
from omniloop.members.identity import load_member
from omniloop.payments.domain import RefundStatus
from omniloop.payments.errors import NothingToRefund, ProviderRefused
from omniloop.payments.models import Payment, Refund
from omniloop.payments.providers import get_provider
from omniloop.payments.schemas import PaymentOut, TopUpOut
from omniloop.payments.service import open_payment, payment_request
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id


def top_up_view(top_up: TopUp, payment: Payment | None) -> dict[str, Any]:
    return TopUpOut(
        id=top_up.id,
        member_id=top_up.member_id,
        amount=top_up.amount,
        bonus=top_up.bonus,
        currency=top_up.currency,
        status=top_up.status,
        rule=top_up.rule or None,
        refunded_amount=top_up.refunded_amount,
        created_at=top_up.created_at,
        paid_at=top_up.paid_at,
        payment=PaymentOut.model_validate(payment, from_attributes=True) if payment else None,
    ).model_dump(mode="json")


async def create_top_up(
    *,
    uow: UnitOfWork,
    settings: Settings,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    amount: int,
    provider: str,
    actor: str,
    idempotency_key: str | None,
) -> IdempotentOutcome:
    """Open a top-up of ``amount`` and its payment with ``provider``; the wallet is credited
    (with the rule's bonus) when the provider's callback says it was paid."""
    gateway = get_provider(provider, settings)

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        member = await load_member(uow.session, merchant_id, member_id)
        top_up = await open_top_up_in(
            uow.session, merchant_id=merchant_id, member_id=member.id, amount=amount, actor=actor
        )
        payment = await open_payment(
            uow, gateway, top_up, amount=amount, currency=top_up.currency, actor=actor
        )
        await uow.session.flush()
        return 201, top_up_view(top_up, payment)

    return await run_once(
        uow=uow,
        merchant_id=merchant_id,
        scope=f"top_up:{member_id}",
        key=idempotency_key,
        payload={"amount": amount, "provider": provider},
        action=action,
    )


async def _top_up_payment(session: AsyncSession, top_up: TopUp) -> Payment | None:
    payment: Payment | None = await session.scalar(
        select(Payment)
        .where(Payment.merchant_id == top_up.merchant_id, Payment.top_up_id == top_up.id)
        .order_by(Payment.created_at.desc())
        .limit(1)
    )
    return payment


async def get_top_up(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    top_up_id: uuid.UUID,
    authorize_member: Callable[[uuid.UUID], None],
) -> dict[str, Any]:
    """A top-up with its payment (to poll for the outcome)."""
    async with uow.read_only():
        top_up = await load_top_up(uow.session, merchant_id, top_up_id)
        authorize_member(top_up.member_id)
        return top_up_view(top_up, await _top_up_payment(uow.session, top_up))


async def refund_top_up(
    *,
    uow: UnitOfWork,
    settings: Settings,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    top_up_id: uuid.UUID,
    amount: int | None,
    reason: str | None,
    actor: str,
    idempotency_key: str | None,
) -> IdempotentOutcome:
    """Refund a top-up's unspent principal through its provider; its bonus share is
    forfeited (taken out of the wallet with it)."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        top_up = await load_top_up(uow.session, merchant_id, top_up_id, lock=True)
        if top_up.member_id != member_id:
            raise TopUpNotFound(f"no top-up {top_up_id} for member {member_id}")
        payment = await _top_up_payment(uow.session, top_up)
        if payment is None or not payment.applied:
            raise NothingToRefund(f"top-up {top_up_id} was not paid through Omniloop")
        principal, forfeited = await refund_top_up_in(
            uow.session, top_up, amount=amount, actor=actor
        )
        refund_id = new_id()
        gateway = get_provider(payment.provider, settings)
        result = await gateway.refund(payment_request(payment, top_up), principal, refund_id)
        if result.status is RefundStatus.FAILED:
            raise ProviderRefused(f"{payment.provider} refused the refund")
        uow.session.add(
            Refund(
                merchant_id=merchant_id,
                id=refund_id,
                order_id=None,
                payment_id=payment.id,
                amount=principal,
                reason=reason,
                lines=[],
                restock=False,
                status=result.status.value,
                provider_ref=result.provider_ref,
                created_by=actor,
                created_at=utcnow(),
            )
        )
        await uow.session.flush()
        return 201, {
            "top_up": top_up_view(top_up, payment),
            "refunded": principal,
            "bonus_forfeited": forfeited,
        }

    return await run_once(
        uow=uow,
        merchant_id=merchant_id,
        scope=f"top_up_refund:{top_up_id}",
        key=idempotency_key,
        payload={"amount": amount, "reason": reason},
        action=action,
    )
