"""Members and ledger postings made straight in the database, for loyalty jobs and checks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from omniloop.loyalty.domain import PointsKind, WalletKind
from omniloop.loyalty.ledger import post_points_in, post_wallet_in, record_spend_in
from omniloop.loyalty.models import LoyaltyAccount
from omniloop.members.identity import member_for_phone_in


async def add_member(db: Any, t: Any, n: int) -> uuid.UUID:
    """Member number ``n`` of the tenant (phone +86 138 0000 nnnn)."""
    async with db.uow() as uow:
        member, _ = await member_for_phone_in(
            uow.session,
            merchant_id=t.merchant_id,
            phone=f"+86138{n:08d}",
            name=f"Member {n}",
            channel="pos",
        )
        await uow.commit()
    return member.id


async def add_spend(db: Any, t: Any, member_id: uuid.UUID, amount: int, at: datetime) -> None:
    async with db.uow() as uow:
        record_spend_in(
            uow.session,
            merchant_id=t.merchant_id,
            member_id=member_id,
            order_id=uuid.uuid4(),
            amount=amount,
            at=at,
        )
        await uow.commit()


async def post_points(
    db: Any,
    t: Any,
    member_id: uuid.UUID,
    points: int,
    *,
    expires_at: datetime | None = None,
    kind: PointsKind = PointsKind.EARN,
) -> None:
    async with db.uow() as uow:
        await post_points_in(
            uow.session,
            merchant_id=t.merchant_id,
            member_id=member_id,
            points=points,
            kind=kind,
            actor="test",
            expires_at=expires_at,
        )
        await uow.commit()


async def post_wallet(db: Any, t: Any, member_id: uuid.UUID, principal: int, bonus: int) -> None:
    async with db.uow() as uow:
        await post_wallet_in(
            uow.session,
            merchant_id=t.merchant_id,
            member_id=member_id,
            principal=principal,
            bonus=bonus,
            kind=WalletKind.TOP_UP if principal + bonus >= 0 else WalletKind.SPEND,
            currency="CNY",
            actor="test",
        )
        await uow.commit()


async def account(db: Any, t: Any, member_id: uuid.UUID) -> LoyaltyAccount | None:
    async with db.uow().read_only() as uow:
        return await uow.session.get(LoyaltyAccount, (t.merchant_id, member_id))
