"""Tenders: how an order is paid, and where its refunds go.

A member may pay part of an order with points and stored value; they are taken from the
ledgers when the order is placed, in the same transaction, so two orders cannot spend the
same balance. What is left is paid through a provider (own channels) or outside Omniloop
(a POS till, a platform). Cancelling an unpaid order gives the member's tenders back;
a refund is shared over the tenders in proportion to what each has left to give back
(:func:`omniloop.orders.domain.split_refund`) and each part goes back where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.loyalty import accrual
from omniloop.loyalty.errors import TenderRefused
from omniloop.orders.domain import TenderKind, returned_part, split_refund
from omniloop.orders.models import Order, OrderTender
from omniloop.shared.clock import utcnow


@dataclass(frozen=True)
class TenderRequest:
    """What the member wants to pay with: ``points`` (a count) and ``wallet`` (minor units)."""

    points: int = 0
    wallet: int = 0

    def __bool__(self) -> bool:
        return self.points > 0 or self.wallet > 0


@dataclass
class RefundSplit:
    """Where a refund went, in minor units per tender kind (points: also the count)."""

    total: int
    by_kind: dict[TenderKind, int] = field(default_factory=dict)
    points_returned: int = 0

    def amount(self, kind: TenderKind) -> int:
        return self.by_kind.get(kind, 0)


async def load_tenders(session: AsyncSession, order: Order) -> list[OrderTender]:
    return list(
        await session.scalars(
            select(OrderTender)
            .where(OrderTender.merchant_id == order.merchant_id, OrderTender.order_id == order.id)
            .order_by(OrderTender.tender_no)
            .execution_options(populate_existing=True)
        )
    )


def _add(
    session: AsyncSession,
    order: Order,
    tenders: list[OrderTender],
    *,
    kind: TenderKind,
    amount: int,
    points: int = 0,
    reference: str | None = None,
) -> OrderTender:
    tender = OrderTender(
        merchant_id=order.merchant_id,
        order_id=order.id,
        tender_no=len(tenders) + 1,
        kind=kind.value,
        amount=amount,
        points=points,
        refunded_amount=0,
        refunded_points=0,
        reference=reference,
        created_at=utcnow(),
    )
    session.add(tender)
    tenders.append(tender)
    return tender


async def take_member_tenders(
    session: AsyncSession, order: Order, request: TenderRequest, *, actor: str
) -> list[OrderTender]:
    """Take points then wallet from the order's member towards its total."""
    tenders: list[OrderTender] = []
    if not request:
        return tenders
    if order.member_id is None:
        raise TenderRefused("points and wallet pay only orders of a member")
    due = order.total
    if request.points > 0:
        value = await accrual.redeem_points_in(
            session,
            merchant_id=order.merchant_id,
            member_id=order.member_id,
            points=request.points,
            order_total=order.total,
            currency=order.currency,
            order_id=order.id,
            actor=actor,
        )
        _add(session, order, tenders, kind=TenderKind.POINTS, amount=value, points=request.points)
        due -= value
    if request.wallet > 0:
        if request.wallet > due:
            raise TenderRefused(
                f"the wallet tender {request.wallet} is more than the {due} left to pay",
                field="tenders.wallet",
                amount_due=due,
            )
        await accrual.spend_wallet_in_order(
            session,
            merchant_id=order.merchant_id,
            member_id=order.member_id,
            amount=request.wallet,
            currency=order.currency,
            order_id=order.id,
            actor=actor,
        )
        _add(session, order, tenders, kind=TenderKind.WALLET, amount=request.wallet)
    await session.flush()
    return tenders


def member_tendered(tenders: list[OrderTender]) -> int:
    return sum(t.amount for t in tenders if t.kind in (TenderKind.POINTS, TenderKind.WALLET))


def points_amount(tenders: list[OrderTender], *, net: bool = False) -> int:
    """Minor units paid with points (``net``: less what was refunded to points)."""
    return sum(
        t.amount - (t.refunded_amount if net else 0) for t in tenders if t.kind == TenderKind.POINTS
    )


async def amount_due(session: AsyncSession, order: Order) -> int:
    """What a provider must still collect for an unpaid order."""
    return order.total - member_tendered(await load_tenders(session, order))


async def add_payment_tender(
    session: AsyncSession, order: Order, *, kind: TenderKind, amount: int, reference: str | None
) -> list[OrderTender]:
    """Record the money part of a payment; returns all the order's tenders."""
    tenders = await load_tenders(session, order)
    if amount > 0:
        _add(session, order, tenders, kind=kind, amount=amount, reference=reference)
        await session.flush()
    return tenders


async def _give_back(
    session: AsyncSession, order: Order, tender: OrderTender, amount: int, *, actor: str
) -> int:
    """Return ``amount`` of a member tender to its ledger; returns points given back."""
    assert order.member_id is not None
    before = tender.refunded_amount
    points = 0
    if tender.kind == TenderKind.POINTS:
        points = returned_part(
            taken=tender.points,
            of_amount=tender.amount,
            refunded_before=before,
            refunded_now=amount,
        )
        await accrual.return_points_in(
            session,
            merchant_id=order.merchant_id,
            member_id=order.member_id,
            points=points,
            order_id=order.id,
            actor=actor,
        )
        tender.refunded_points += points
    elif tender.kind == TenderKind.WALLET:
        _, bonus_taken = await accrual.wallet_taken_for_order(session, order.merchant_id, order.id)
        bonus = returned_part(
            taken=bonus_taken, of_amount=tender.amount, refunded_before=before, refunded_now=amount
        )
        await accrual.return_wallet_in(
            session,
            merchant_id=order.merchant_id,
            member_id=order.member_id,
            principal=amount - bonus,
            bonus=bonus,
            currency=order.currency,
            order_id=order.id,
            actor=actor,
        )
    tender.refunded_amount += amount
    return points


async def return_unpaid_tenders(session: AsyncSession, order: Order, *, actor: str) -> None:
    """An unpaid order is cancelled or expired: the member gets its points and wallet back."""
    for tender in await load_tenders(session, order):
        left = tender.amount - tender.refunded_amount
        if tender.kind in (TenderKind.POINTS, TenderKind.WALLET) and left > 0:
            await _give_back(session, order, tender, left, actor=actor)


async def split_refund_over_tenders(
    session: AsyncSession, order: Order, amount: int, *, actor: str
) -> RefundSplit:
    """Share a refund over the order's tenders and give member tenders back at once; the
    provider and external parts are for the caller to pay out."""
    tenders = await load_tenders(session, order)
    result = RefundSplit(total=amount)
    if not tenders:  # paid before tenders were recorded: all of it is external money
        result.by_kind[TenderKind.EXTERNAL] = amount
        return result
    shares = split_refund(
        amount, [(TenderKind(t.kind), t.amount - t.refunded_amount) for t in tenders]
    )
    for tender, share in zip(tenders, shares, strict=True):
        if share <= 0:
            continue
        kind = TenderKind(tender.kind)
        result.by_kind[kind] = result.by_kind.get(kind, 0) + share
        if kind in (TenderKind.POINTS, TenderKind.WALLET):
            result.points_returned += await _give_back(session, order, tender, share, actor=actor)
        else:
            tender.refunded_amount += share
    await session.flush()
    return result
