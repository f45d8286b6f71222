"""Postings to the points and wallet ledgers, in the caller's transaction.

Every posting locks the member's ``loyalty_account`` row first (``SELECT ... FOR UPDATE``;
SQLite serialises writers anyway), checks the rule, moves the cached balance and appends the
entry that explains it, so concurrent spends against one balance apply one after the other
and the second sees the first's result: a balance can never go below zero (the table's CHECK
constraints say so too). Nothing here commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import is_unique_violation
from omniloop.loyalty.domain import PointsKind, WalletKind, split_wallet_spend
from omniloop.loyalty.errors import InsufficientPoints, InsufficientWallet
from omniloop.loyalty.models import (
    LoyaltyAccount,
    PointsEntry,
    PointsLot,
    SpendEntry,
    WalletEntry,
)
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id


async def ensure_account_in(
    session: AsyncSession, merchant_id: uuid.UUID, member_id: uuid.UUID, *, lock: bool = True
) -> LoyaltyAccount:
    """The member's account, created empty on first use, locked for this transaction."""
    query = select(LoyaltyAccount).where(
        LoyaltyAccount.merchant_id == merchant_id, LoyaltyAccount.member_id == member_id
    )
    if lock:
        query = query.with_for_update()
    query = query.execution_options(populate_existing=True)
    account = await session.scalar(query)
    if account is not None:
        return account
    try:
        async with session.begin_nested():
            session.add(
                LoyaltyAccount(
                    merchant_id=merchant_id,
                    member_id=member_id,
                    points_balance=0,
                    wallet_principal=0,
                    wallet_bonus=0,
                    updated_at=utcnow(),
                )
            )
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
    account = await session.scalar(query)
    assert account is not None
    return account


async def post_points_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    points: int,
    kind: PointsKind,
    actor: str,
    order_id: uuid.UUID | None = None,
    reference: str | None = None,
    expires_at: datetime | None = None,
    detail: dict[str, Any] | None = None,
    clamp: bool = False,
) -> PointsEntry | None:
    """Add (``points`` > 0, as a new lot expiring at ``expires_at``) or take points (< 0,
    from the soonest-expiring lots first). Taking more than the balance raises
    InsufficientPoints, or with ``clamp`` takes what there is (a refund reversing points
    already spent; the entry records what was ``wanted``); None when ``points`` is 0."""
    if points == 0:
        return None
    account = await ensure_account_in(session, merchant_id, member_id)
    now = utcnow()
    if points < 0 and -points > account.points_balance:
        if not clamp:
            raise InsufficientPoints(
                f"{-points} points needed, {account.points_balance} available",
                available=account.points_balance,
                needed=-points,
            )
        detail = {**(detail or {}), "wanted": points}
        points = -account.points_balance
    account.points_balance += points
    account.updated_at = now
    entry = PointsEntry(
        merchant_id=merchant_id,
        id=new_id(),
        member_id=member_id,
        kind=kind.value,
        points=points,
        balance_after=account.points_balance,
        order_id=order_id,
        reference=reference,
        expires_at=expires_at if points > 0 else None,
        detail=detail or {},
        actor=actor,
        created_at=now,
    )
    session.add(entry)
    if points > 0:
        session.add(
            PointsLot(
                merchant_id=merchant_id,
                id=new_id(),
                member_id=member_id,
                entry_id=entry.id,
                points=points,
                remaining=points,
                expires_at=expires_at,
                created_at=now,
            )
        )
    elif points < 0:
        await _consume_lots(session, merchant_id, member_id, -points)
    await session.flush()
    return entry


async def _consume_lots(
    session: AsyncSession, merchant_id: uuid.UUID, member_id: uuid.UUID, points: int
) -> None:
    lots = await session.scalars(
        select(PointsLot)
        .where(
            PointsLot.merchant_id == merchant_id,
            PointsLot.member_id == member_id,
            PointsLot.remaining > 0,
        )
        .order_by(PointsLot.expires_at.asc().nulls_last(), PointsLot.created_at, PointsLot.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    left = points
    for lot in lots:
        take = min(left, lot.remaining)
        lot.remaining -= take
        left -= take
        if left == 0:
            break
    if left:
        # The balance said there was enough: lots and balance disagree. Refuse loudly.
        raise InsufficientPoints(f"the points lots are {left} short of the balance")


async def post_wallet_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    principal: int,
    bonus: int,
    kind: WalletKind,
    currency: str,
    actor: str,
    order_id: uuid.UUID | None = None,
    top_up_id: uuid.UUID | None = None,
    reference: str | None = None,
) -> WalletEntry:
    """Move stored value: signed principal and bonus parts. Refuses (InsufficientWallet) to
    take either part below zero."""
    account = await ensure_account_in(session, merchant_id, member_id)
    if account.wallet_principal + principal < 0 or account.wallet_bonus + bonus < 0:
        raise InsufficientWallet(
            f"{-(principal + bonus)} needed, "
            f"{account.wallet_principal + account.wallet_bonus} in the wallet",
            available=account.wallet_principal + account.wallet_bonus,
            needed=-(principal + bonus),
        )
    now = utcnow()
    account.wallet_principal += principal
    account.wallet_bonus += bonus
    account.updated_at = now
    entry = WalletEntry(
        merchant_id=merchant_id,
        id=new_id(),
        member_id=member_id,
        kind=kind.value,
        principal=principal,
        bonus=bonus,
        principal_after=account.wallet_principal,
        bonus_after=account.wallet_bonus,
        currency=currency,
        order_id=order_id,
        top_up_id=top_up_id,
        reference=reference,
        actor=actor,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


async def spend_wallet_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    amount: int,
    currency: str,
    actor: str,
    order_id: uuid.UUID | None = None,
    reference: str | None = None,
) -> WalletEntry:
    """Spend ``amount`` from the wallet, principal and bonus in proportion."""
    account = await ensure_account_in(session, merchant_id, member_id)
    total = account.wallet_principal + account.wallet_bonus
    if amount > total:
        raise InsufficientWallet(
            f"{amount} needed, {total} in the wallet", available=total, needed=amount
        )
    principal, bonus = split_wallet_spend(
        amount, principal=account.wallet_principal, bonus=account.wallet_bonus
    )
    return await post_wallet_in(
        session,
        merchant_id=merchant_id,
        member_id=member_id,
        principal=-principal,
        bonus=-bonus,
        kind=WalletKind.SPEND,
        currency=currency,
        actor=actor,
        order_id=order_id,
        reference=reference,
    )


def record_spend_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    order_id: uuid.UUID | None,
    amount: int,
    at: datetime | None = None,
) -> None:
    """Append a change of the member's net spend (positive paid, negative refunded)."""
    if amount == 0:
        return
    session.add(
        SpendEntry(
            merchant_id=merchant_id,
            id=new_id(),
            member_id=member_id,
            order_id=order_id,
            amount=amount,
            created_at=at or utcnow(),
        )
    )


@dataclass(frozen=True)
class Balances:
    points: int
    wallet_principal: int
    wallet_bonus: int
    tier: str | None
    lifetime_spend: int
    rolling_spend: int

    @property
    def wallet_total(self) -> int:
        return self.wallet_principal + self.wallet_bonus


async def balances_in(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    *,
    window_days: int = 365,
    now: datetime | None = None,
) -> Balances:
    """A member's points, wallet, tier and net spend (lifetime and over the tier window)."""
    account = await session.scalar(
        select(LoyaltyAccount).where(
            LoyaltyAccount.merchant_id == merchant_id, LoyaltyAccount.member_id == member_id
        )
    )
    since = (now or utcnow()) - timedelta(days=window_days)
    lifetime, rolling = (
        await session.execute(
            select(
                func.coalesce(func.sum(SpendEntry.amount), 0),
                func.coalesce(
                    func.sum(SpendEntry.amount).filter(SpendEntry.created_at >= since), 0
                ),
            ).where(SpendEntry.merchant_id == merchant_id, SpendEntry.member_id == member_id)
        )
    ).one()
    if account is None:
        return Balances(0, 0, 0, None, int(lifetime), int(rolling))
    return Balances(
        points=account.points_balance,
        wallet_principal=account.wallet_principal,
        wallet_bonus=account.wallet_bonus,
        tier=account.tier,
        lifetime_spend=int(lifetime),
        rolling_spend=int(rolling),
    )
