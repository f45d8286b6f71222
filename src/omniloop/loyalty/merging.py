"""When two members merge, the absorbed record's points, stored value and spend move to
the survivor, in the merge's transaction. The ledgers stay append-only: the absorbed
account posts ``merge_out`` entries and the survivor ``merge_in`` ones (points keep their
expiry dates); spend entries are copied with their dates so the survivor's tier window
sees them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.loyalty.domain import PointsKind, WalletKind
from omniloop.loyalty.ledger import (
    ensure_account_in,
    post_points_in,
    post_wallet_in,
    record_spend_in,
)
from omniloop.loyalty.models import PointsLot, SpendEntry
from omniloop.loyalty.program import load_program
from omniloop.loyalty.tiers import recompute_tier_in

ACTOR = "system:merge"


async def merge_loyalty_in(
    session: AsyncSession, merchant_id: uuid.UUID, survivor_id: uuid.UUID, absorbed_id: uuid.UUID
) -> None:
    """Move the absorbed member's balances and spend to the survivor."""
    for member_id in sorted([survivor_id, absorbed_id]):  # lock in a fixed order
        await ensure_account_in(session, merchant_id, member_id)
    absorbed = await ensure_account_in(session, merchant_id, absorbed_id)
    lots = await session.execute(
        select(PointsLot.expires_at, PointsLot.remaining).where(
            PointsLot.merchant_id == merchant_id,
            PointsLot.member_id == absorbed_id,
            PointsLot.remaining > 0,
        )
    )
    by_expiry: dict[datetime | None, int] = {}
    for expires_at, remaining in lots:
        by_expiry[expires_at] = by_expiry.get(expires_at, 0) + int(remaining)
    moved = sum(by_expiry.values())
    if moved:
        await post_points_in(
            session,
            merchant_id=merchant_id,
            member_id=absorbed_id,
            points=-moved,
            kind=PointsKind.MERGE_OUT,
            actor=ACTOR,
            reference=f"member:{survivor_id}",
        )
        for expires_at, points in sorted(
            by_expiry.items(), key=lambda item: (item[0] is None, item[0] or datetime.min)
        ):
            await post_points_in(
                session,
                merchant_id=merchant_id,
                member_id=survivor_id,
                points=points,
                kind=PointsKind.MERGE_IN,
                actor=ACTOR,
                reference=f"member:{absorbed_id}",
                expires_at=expires_at,
            )
    principal, bonus = absorbed.wallet_principal, absorbed.wallet_bonus
    if principal or bonus:
        currency = (await load_program(session, merchant_id)).currency
        for member_id, sign, kind, other in (
            (absorbed_id, -1, WalletKind.MERGE_OUT, survivor_id),
            (survivor_id, 1, WalletKind.MERGE_IN, absorbed_id),
        ):
            await post_wallet_in(
                session,
                merchant_id=merchant_id,
                member_id=member_id,
                principal=sign * principal,
                bonus=sign * bonus,
                kind=kind,
                currency=currency,
                actor=ACTOR,
                reference=f"member:{other}",
            )
    spends = await session.execute(
        select(SpendEntry.order_id, SpendEntry.amount, SpendEntry.created_at).where(
            SpendEntry.merchant_id == merchant_id, SpendEntry.member_id == absorbed_id
        )
    )
    for order_id, amount, created_at in spends.all():
        record_spend_in(
            session,
            merchant_id=merchant_id,
            member_id=survivor_id,
            order_id=order_id,
            amount=amount,
            at=created_at,
        )
    await session.flush()
    await recompute_tier_in(
        session,
        merchant_id=merchant_id,
        member_id=survivor_id,
        program=await load_program(session, merchant_id),
    )
