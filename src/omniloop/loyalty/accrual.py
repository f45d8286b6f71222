"""What orders do to a member's loyalty, in the order's transaction: points and wallet as
tenders (and their return on refund or cancellation), points earned when an order
completes and taken back in proportion when it is refunded, net spend and the tier it
decides. Orders call these with values; loyalty never imports orders.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.events import record_event
from omniloop.loyalty import domain
from omniloop.loyalty.domain import PointsKind, WalletKind
from omniloop.loyalty.errors import TenderRefused
from omniloop.loyalty.ledger import (
    ensure_account_in,
    post_points_in,
    post_wallet_in,
    record_spend_in,
    spend_wallet_in,
)
from omniloop.loyalty.models import PointsEntry, WalletEntry
from omniloop.loyalty.program import load_program
from omniloop.loyalty.tiers import recompute_tier_in
from omniloop.merchants.models import Merchant
from omniloop.shared.clock import utcnow


async def _timezone(session: AsyncSession, merchant_id: uuid.UUID) -> str:
    merchant = await session.get(Merchant, merchant_id)
    return merchant.timezone if merchant is not None else "UTC"


async def member_discount(
    session: AsyncSession, merchant_id: uuid.UUID, member_id: uuid.UUID
) -> tuple[str | None, int]:
    """The member's tier and the member-price discount percent it gives."""
    program = await load_program(session, merchant_id)
    account = await ensure_account_in(session, merchant_id, member_id, lock=False)
    code = account.tier or program.tiers[0].code  # a new member starts in the first tier
    if not program.enabled:
        return code, 0
    for tier in program.tiers:
        if tier.code == code:
            return tier.code, tier.discount_percent
    return code, 0


async def redeem_points_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    points: int,
    order_total: int,
    currency: str,
    order_id: uuid.UUID,
    actor: str,
) -> int:
    """Spend ``points`` on an order; returns what they are worth in minor units. Refused
    (409 tender_refused) beyond the program's share of the order or when worth nothing."""
    program = await load_program(session, merchant_id)
    if not program.enabled:
        raise TenderRefused("the loyalty program is turned off")
    if currency != program.currency:
        raise TenderRefused(f"points pay {program.currency} orders, this one is {currency}")
    allowed = domain.max_redeemable_points(program, order_total)
    if points > allowed:
        raise TenderRefused(
            f"at most {allowed} points can pay this order "
            f"({program.max_redeem_percent}% of {order_total})",
            max_points=allowed,
        )
    value = domain.points_value(program, points)
    if value <= 0:
        raise TenderRefused(
            f"{points} points are worth nothing: {program.redeem_points} points make "
            f"{program.redeem_amount}",
            field="tenders.points",
        )
    await post_points_in(
        session,
        merchant_id=merchant_id,
        member_id=member_id,
        points=-points,
        kind=PointsKind.REDEEM,
        actor=actor,
        order_id=order_id,
        detail={"value": value},
    )
    return value


async def spend_wallet_in_order(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    amount: int,
    currency: str,
    order_id: uuid.UUID,
    actor: str,
) -> None:
    """Pay ``amount`` of an order from the member's wallet (409 insufficient_wallet)."""
    await spend_wallet_in(
        session,
        merchant_id=merchant_id,
        member_id=member_id,
        amount=amount,
        currency=currency,
        actor=actor,
        order_id=order_id,
    )


async def return_points_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    points: int,
    order_id: uuid.UUID,
    actor: str,
) -> None:
    """Give back tendered points (a refund or cancellation); they expire as if earned now."""
    if points <= 0:
        return
    program = await load_program(session, merchant_id)
    now = utcnow()
    await post_points_in(
        session,
        merchant_id=merchant_id,
        member_id=member_id,
        points=points,
        kind=PointsKind.REDEEM_RETURN,
        actor=actor,
        order_id=order_id,
        expires_at=domain.points_expiry(program, now, await _timezone(session, merchant_id)),
    )


async def wallet_taken_for_order(
    session: AsyncSession, merchant_id: uuid.UUID, order_id: uuid.UUID
) -> tuple[int, int]:
    """The (principal, bonus) an order's wallet tender took (positive numbers)."""
    principal, bonus = (
        await session.execute(
            select(
                func.coalesce(func.sum(WalletEntry.principal), 0),
                func.coalesce(func.sum(WalletEntry.bonus), 0),
            ).where(
                WalletEntry.merchant_id == merchant_id,
                WalletEntry.order_id == order_id,
                WalletEntry.kind == WalletKind.SPEND.value,
            )
        )
    ).one()
    return -int(principal), -int(bonus)


async def return_wallet_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    principal: int,
    bonus: int,
    currency: str,
    order_id: uuid.UUID,
    actor: str,
) -> None:
    """Put a refunded wallet tender back, principal and bonus as they were taken."""
    if principal + bonus <= 0:
        return
    await post_wallet_in(
        session,
        merchant_id=merchant_id,
        member_id=member_id,
        principal=principal,
        bonus=bonus,
        kind=WalletKind.SPEND_RETURN,
        currency=currency,
        actor=actor,
        order_id=order_id,
    )


async def spend_changed_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    order_id: uuid.UUID,
    amount: int,
) -> None:
    """The member's net spend moved by ``amount`` (paid +, refunded -): record it and
    recompute the tier it decides."""
    if amount == 0:
        return
    record_spend_in(
        session, merchant_id=merchant_id, member_id=member_id, order_id=order_id, amount=amount
    )
    await session.flush()
    program = await load_program(session, merchant_id)
    await recompute_tier_in(session, merchant_id=merchant_id, member_id=member_id, program=program)


async def earn_for_order_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    order_id: uuid.UUID,
    order_number: str,
    amount: int,
    channel: str,
    actor: str,
) -> int:
    """Credit the points a completed order earns on ``amount`` (its net paid money); once
    per order. Returns the points credited."""
    already = await session.scalar(
        select(PointsEntry.id).where(
            PointsEntry.merchant_id == merchant_id,
            PointsEntry.order_id == order_id,
            PointsEntry.kind == PointsKind.EARN.value,
        )
    )
    if already is not None or amount <= 0:
        return 0
    program = await load_program(session, merchant_id)
    if not program.enabled:
        return 0
    account = await ensure_account_in(session, merchant_id, member_id)
    points = domain.points_to_earn(program, amount=amount, channel=channel, tier_code=account.tier)
    if points <= 0:
        return 0
    now = utcnow()
    expires_at = domain.points_expiry(program, now, await _timezone(session, merchant_id))
    await post_points_in(
        session,
        merchant_id=merchant_id,
        member_id=member_id,
        points=points,
        kind=PointsKind.EARN,
        actor=actor,
        order_id=order_id,
        reference=f"order:{order_number}",
        expires_at=expires_at,
        detail={"base_amount": amount, "tier": account.tier, "channel": channel},
    )
    record_event(
        session,
        merchant_id=merchant_id,
        type="points.earned",
        data={
            "member_id": str(member_id),
            "order_id": str(order_id),
            "points": points,
            "base_amount": amount,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return points


async def reverse_for_order_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    order_id: uuid.UUID,
    order_number: str,
    net_amount_now: int,
    actor: str,
) -> int:
    """After a refund, take back the share of the order's earned points that the refunded
    money had earned. Points already spent cannot be taken: the shortfall is recorded on
    the entry (``wanted``). Returns the points taken."""
    rows = (
        await session.execute(
            select(PointsEntry.kind, PointsEntry.points, PointsEntry.detail).where(
                PointsEntry.merchant_id == merchant_id,
                PointsEntry.order_id == order_id,
                PointsEntry.kind.in_([PointsKind.EARN.value, PointsKind.REVERSE.value]),
            )
        )
    ).all()
    earned = next(((p, d) for k, p, d in rows if k == PointsKind.EARN.value), None)
    if earned is None:
        return 0
    points, detail = earned
    base = int(detail.get("base_amount", 0))
    already = sum(-(d.get("wanted") or p) for k, p, d in rows if k == PointsKind.REVERSE.value)
    take = domain.points_to_reverse(
        earned=points,
        base_amount=base,
        refunded_amount=max(0, base - net_amount_now),
        already_reversed=already,
    )
    if take <= 0:
        return 0
    entry = await post_points_in(
        session,
        merchant_id=merchant_id,
        member_id=member_id,
        points=-take,
        kind=PointsKind.REVERSE,
        actor=actor,
        order_id=order_id,
        reference=f"order:{order_number}",
        clamp=True,
    )
    return -entry.points if entry is not None else 0
