"""A member's points and wallet as they see them (balance and entries, newest first), and
operators' points adjustments."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork
from omniloop.events import record_event
from omniloop.idempotency import Outcome, run_once
from omniloop.loyalty.domain import PointsKind, points_expiry
from omniloop.loyalty.ledger import post_points_in
from omniloop.loyalty.models import LoyaltyAccount, PointsEntry, PointsLot, WalletEntry
from omniloop.loyalty.program import load_program
from omniloop.loyalty.schemas import (
    ExpiringPoints,
    PointsAdjustmentOut,
    PointsEntryOut,
    PointsStatementOut,
    WalletEntryOut,
    WalletStatementOut,
)
from omniloop.members.identity import load_member
from omniloop.merchants.models import Merchant
from omniloop.shared.clock import utcnow
from omniloop.shared.pagination import decode_time_key, encode_time_key

EXPIRING_SHOWN = 5
"""How many upcoming expiry dates a points statement lists."""


async def _account(
    session: AsyncSession, merchant_id: uuid.UUID, member_id: uuid.UUID
) -> LoyaltyAccount | None:
    return await session.get(LoyaltyAccount, (merchant_id, member_id))


def _after(model: type[PointsEntry] | type[WalletEntry], cursor: str | None) -> Any:
    """The keyset condition for "older than the cursor's row" (newest-first lists)."""
    after = decode_time_key(cursor)
    if after is None:
        return None
    at, last_id = after
    return or_(model.created_at < at, and_(model.created_at == at, model.id < last_id))


async def points_statement(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> PointsStatementOut:
    """A member's points balance, the soonest expiring points and a page of entries."""
    async with uow.read_only():
        session = uow.session
        member = await load_member(session, merchant_id, member_id)
        account = await _account(session, merchant_id, member.id)
        query = select(PointsEntry).where(
            PointsEntry.merchant_id == merchant_id, PointsEntry.member_id == member.id
        )
        older = _after(PointsEntry, cursor)
        if older is not None:
            query = query.where(older)
        rows = list(
            await session.scalars(
                query.order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc()).limit(
                    limit + 1
                )
            )
        )
        expiring = (
            await session.execute(
                select(PointsLot.expires_at, func.sum(PointsLot.remaining))
                .where(
                    PointsLot.merchant_id == merchant_id,
                    PointsLot.member_id == member.id,
                    PointsLot.remaining > 0,
                    PointsLot.expires_at.is_not(None),
                    PointsLot.expires_at > utcnow(),
                )
                .group_by(PointsLot.expires_at)
                .order_by(PointsLot.expires_at)
                .limit(EXPIRING_SHOWN)
            )
        ).all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_time_key(last.created_at, last.id)
    return PointsStatementOut(
        member_id=member.id,
        balance=account.points_balance if account else 0,
        tier=account.tier if account else None,
        expiring=[ExpiringPoints(points=int(p), expires_at=at) for at, p in expiring],
        items=[PointsEntryOut.model_validate(r, from_attributes=True) for r in rows[:limit]],
        next_cursor=next_cursor,
    )


async def wallet_statement(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> WalletStatementOut:
    """A member's stored value (principal, bonus, total) and a page of entries."""
    async with uow.read_only():
        session = uow.session
        member = await load_member(session, merchant_id, member_id)
        account = await _account(session, merchant_id, member.id)
        program = await load_program(session, merchant_id)
        query = select(WalletEntry).where(
            WalletEntry.merchant_id == merchant_id, WalletEntry.member_id == member.id
        )
        older = _after(WalletEntry, cursor)
        if older is not None:
            query = query.where(older)
        rows = list(
            await session.scalars(
                query.order_by(WalletEntry.created_at.desc(), WalletEntry.id.desc()).limit(
                    limit + 1
                )
            )
        )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_time_key(last.created_at, last.id)
    principal = account.wallet_principal if account else 0
    bonus = account.wallet_bonus if account else 0
    return WalletStatementOut(
        member_id=member.id,
        currency=program.currency,
        principal=principal,
        bonus=bonus,
        total=principal + bonus,
        items=[
            WalletEntryOut(
                id=r.id,
                kind=r.kind,
                principal=r.principal,
                bonus=r.bonus,
                amount=r.principal + r.bonus,
                principal_after=r.principal_after,
                bonus_after=r.bonus_after,
                currency=r.currency,
                order_id=r.order_id,
                top_up_id=r.top_up_id,
                reference=r.reference,
                created_at=r.created_at,
            )
            for r in rows[:limit]
        ],
        next_cursor=next_cursor,
    )


async def adjust_points(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    points: int,
    reason: str,
    actor: str,
    idempotency_key: str | None = None,
) -> Outcome:
    """Grant (> 0, expiring like earned points) or take (< 0, 409 insufficient_points
    beyond the balance) points by hand; records ``points.adjusted``."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        session = uow.session
        member = await load_member(session, merchant_id, member_id)
        expires_at = None
        if points > 0:
            program = await load_program(session, merchant_id)
            merchant = await session.get(Merchant, merchant_id)
            expires_at = points_expiry(program, utcnow(), merchant.timezone if merchant else "UTC")
        entry = await post_points_in(
            session,
            merchant_id=merchant_id,
            member_id=member.id,
            points=points,
            kind=PointsKind.ADJUST,
            actor=actor,
            expires_at=expires_at,
            detail={"reason": reason},
        )
        assert entry is not None  # points is never 0 here
        record_event(
            session,
            merchant_id=merchant_id,
            type="points.adjusted",
            data={
                "member_id": str(member.id),
                "points": points,
                "balance": entry.balance_after,
                "reason": reason,
                "actor": actor,
            },
        )
        body = PointsAdjustmentOut(
            member_id=member.id,
            entry=PointsEntryOut.model_validate(entry, from_attributes=True),
            balance=entry.balance_after,
        )
        return 201, body.model_dump(mode="json")

    return await run_once(
        uow=uow,
        merchant_id=merchant_id,
        scope="loyalty.points_adjustment",
        key=idempotency_key,
        payload={"member_id": str(member_id), "points": points, "reason": reason},
        action=action,
    )
