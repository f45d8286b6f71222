"""Points expire: whatever is left of a lot past its ``expires_at`` is taken by one
``expire`` entry per member, each member in its own transaction. Spending takes the
soonest-expiring lots first, so the points an expiry takes are exactly the overdue lots'
remains; running it again finds those lots empty and does nothing."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from omniloop.db import Database
from omniloop.events import record_event
from omniloop.loyalty.domain import PointsKind
from omniloop.loyalty.ledger import ensure_account_in, post_points_in
from omniloop.loyalty.models import PointsLot
from omniloop.merchants.models import Merchant
from omniloop.shared.clock import utcnow

log = logging.getLogger("omniloop.loyalty.expiry")

ACTOR = "system:points_expiry"


def _overdue(merchant_id: uuid.UUID, now: datetime) -> list[ColumnElement[bool]]:
    return [
        PointsLot.merchant_id == merchant_id,
        PointsLot.expires_at <= now,
        PointsLot.remaining > 0,
    ]


async def _expire_member(
    db: Database, merchant_id: uuid.UUID, member_id: uuid.UUID, now: datetime
) -> int:
    """Expire one member's overdue points; returns the points taken."""
    async with db.uow() as uow:
        session = uow.session
        account = await ensure_account_in(session, merchant_id, member_id)
        due = int(
            await session.scalar(
                select(func.coalesce(func.sum(PointsLot.remaining), 0)).where(
                    *_overdue(merchant_id, now), PointsLot.member_id == member_id
                )
            )
            or 0
        )
        take = min(due, account.points_balance)
        if take <= 0:
            return 0
        entry = await post_points_in(
            session,
            merchant_id=merchant_id,
            member_id=member_id,
            points=-take,
            kind=PointsKind.EXPIRE,
            actor=ACTOR,
            detail={"expired_before": now.isoformat()},
        )
        record_event(
            session,
            merchant_id=merchant_id,
            type="points.expired",
            data={
                "member_id": str(member_id),
                "points": take,
                "balance": entry.balance_after if entry else account.points_balance,
            },
        )
        await uow.commit()
        return take


async def expire_points(
    *,
    db: Database,
    now: datetime | None = None,
    batch: int = 500,
    merchant_id: uuid.UUID | None = None,
) -> int:
    """Expire every member's overdue points (of one merchant, or of all; ``batch`` members
    looked up at a time); returns how many members lost points."""
    now = now or utcnow()
    if merchant_id is not None:
        merchants = [merchant_id]
    else:
        async with db.uow().read_only() as uow:
            merchants = list(await uow.session.scalars(select(Merchant.merchant_id)))
    expired = 0
    for merchant in merchants:
        after: uuid.UUID | None = None
        while True:
            query = select(PointsLot.member_id).where(*_overdue(merchant, now))
            if after is not None:
                query = query.where(PointsLot.member_id > after)
            async with db.uow().read_only() as uow:
                members = list(
                    await uow.session.scalars(
                        query.group_by(PointsLot.member_id)
                        .order_by(PointsLot.member_id)
                        .limit(batch)
                    )
                )
            for member_id in members:
                if await _expire_member(db, merchant, member_id, now):
                    expired += 1
            if len(members) < batch:
                break
            after = members[-1]
    if expired:
        log.info("expired points of %d member(s)", expired)
    return expired
