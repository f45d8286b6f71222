"""Top-ups (储值充值), in the caller's transaction: open one with the bonus the program's
rule gives, credit the wallet once the provider says paid, refund what is left unspent.

The bonus is the merchant's gift: it is credited with the principal but kept apart, spent
in proportion with it, and never refunded as money. Refunding a top-up gives back at most
its principal still in the wallet and forfeits the matching share of its bonus.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.events import record_event
from omniloop.loyalty import domain
from omniloop.loyalty.domain import WalletKind
from omniloop.loyalty.errors import TenderRefused, TopUpNotFound
from omniloop.loyalty.ledger import ensure_account_in, post_wallet_in
from omniloop.loyalty.models import TopUp
from omniloop.loyalty.program import load_program
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id


class TopUpStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


async def open_top_up_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    amount: int,
    actor: str,
) -> TopUp:
    """A pending top-up of ``amount`` with the bonus the program's best rule gives."""
    program = await load_program(session, merchant_id)
    if not program.enabled:
        raise TenderRefused("the loyalty program is turned off")
    bonus, rule = domain.top_up_bonus(program, amount)
    top_up = TopUp(
        merchant_id=merchant_id,
        id=new_id(),
        member_id=member_id,
        amount=amount,
        bonus=bonus,
        currency=program.currency,
        status=TopUpStatus.PENDING_PAYMENT.value,
        rule={"pay": rule.pay, "bonus": rule.bonus} if rule is not None else {},
        refunded_amount=0,
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(top_up)
    await session.flush()
    return top_up


async def load_top_up(
    session: AsyncSession, merchant_id: uuid.UUID, top_up_id: uuid.UUID, *, lock: bool = False
) -> TopUp:
    query = select(TopUp).where(TopUp.merchant_id == merchant_id, TopUp.id == top_up_id)
    if lock:
        query = query.with_for_update()
    top_up = await session.scalar(query.execution_options(populate_existing=True))
    if top_up is None:
        raise TopUpNotFound(f"no top-up {top_up_id}")
    return top_up


async def settle_top_up_in(session: AsyncSession, top_up: TopUp, *, actor: str) -> bool:
    """Credit a paid top-up (principal and bonus) once; False when it was not pending."""
    if top_up.status != TopUpStatus.PENDING_PAYMENT.value:
        return False
    await post_wallet_in(
        session,
        merchant_id=top_up.merchant_id,
        member_id=top_up.member_id,
        principal=top_up.amount,
        bonus=top_up.bonus,
        kind=WalletKind.TOP_UP,
        currency=top_up.currency,
        actor=actor,
        top_up_id=top_up.id,
    )
    top_up.status = TopUpStatus.PAID.value
    top_up.paid_at = utcnow()
    record_event(
        session,
        merchant_id=top_up.merchant_id,
        type="wallet.topped_up",
        data={
            "member_id": str(top_up.member_id),
            "top_up_id": str(top_up.id),
            "amount": top_up.amount,
            "bonus": top_up.bonus,
            "currency": top_up.currency,
        },
    )
    return True


def fail_top_up_in(top_up: TopUp) -> None:
    if top_up.status == TopUpStatus.PENDING_PAYMENT.value:
        top_up.status = TopUpStatus.FAILED.value


async def refund_top_up_in(
    session: AsyncSession, top_up: TopUp, *, amount: int | None, actor: str
) -> tuple[int, int]:
    """Take up to ``amount`` (default: all that can be) of a paid top-up's principal back
    out of the wallet, with the matching share of its bonus; returns (principal, bonus
    forfeited). The principal refundable is what is left of this top-up's principal and
    still in the wallet."""
    if top_up.status not in (TopUpStatus.PAID.value, TopUpStatus.PARTIALLY_REFUNDED.value):
        raise TenderRefused(f"top-up {top_up.id} is {top_up.status}", status_now=top_up.status)
    account = await ensure_account_in(session, top_up.merchant_id, top_up.member_id)
    refundable = min(top_up.amount - top_up.refunded_amount, account.wallet_principal)
    wanted = refundable if amount is None else amount
    if wanted <= 0 or wanted > refundable:
        raise TenderRefused(
            f"{refundable} of this top-up's principal can be refunded", refundable=refundable
        )
    bonus_before = top_up.bonus * top_up.refunded_amount // top_up.amount
    bonus_after = top_up.bonus * (top_up.refunded_amount + wanted) // top_up.amount
    forfeit = min(bonus_after - bonus_before, account.wallet_bonus)
    await post_wallet_in(
        session,
        merchant_id=top_up.merchant_id,
        member_id=top_up.member_id,
        principal=-wanted,
        bonus=-forfeit,
        kind=WalletKind.TOP_UP_REFUND,
        currency=top_up.currency,
        actor=actor,
        top_up_id=top_up.id,
    )
    top_up.refunded_amount += wanted
    top_up.status = (
        TopUpStatus.REFUNDED.value
        if top_up.refunded_amount >= top_up.amount
        else TopUpStatus.PARTIALLY_REFUNDED.value
    )
    record_event(
        session,
        merchant_id=top_up.merchant_id,
        type="wallet.top_up_refunded",
        data={
            "member_id": str(top_up.member_id),
            "top_up_id": str(top_up.id),
            "amount": wanted,
            "bonus_forfeited": forfeit,
        },
    )
    return wanted, forfeit
