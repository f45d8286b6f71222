"""Referral fixtures: a merchant whose program rewards both sides, members with codes, and
orders completed in the same transaction as the reward hook (as orders will call it)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from omniloop.loyalty.models import LoyaltyAccount
from omniloop.orders.models import Order, OrderTransition
from omniloop.referrals.domain import ReferralRule, Reward
from omniloop.referrals.program import put_program
from omniloop.referrals.rewards import reward_first_order_in
from omniloop.referrals.service import record_referral_in, referral_code_in
from tests.integration.segments.conftest import add_order

REFERRER_POINTS, REFEREE_POINTS = 500, 200


async def set_rule(db: Any, t: Any, **changes: Any) -> None:
    rule = ReferralRule(
        enabled=True,
        referrer_reward=Reward(points=REFERRER_POINTS),
        referee_reward=Reward(points=REFEREE_POINTS),
    )
    rule = replace(rule, **changes)
    await put_program(uow=db.uow(), merchant_id=t.merchant_id, rule=rule, actor="test")


@pytest.fixture
async def shop(db, tenant):
    """A tenant whose referrals earn the referrer 500 points and the new member 200."""
    await set_rule(db, tenant)
    return tenant


async def code_of(db: Any, t: Any, member_id: uuid.UUID) -> str:
    async with db.uow() as uow:
        row = await referral_code_in(uow.session, merchant_id=t.merchant_id, member_id=member_id)
        await uow.commit()
    return row.code


async def refer(
    db: Any, t: Any, referrer: uuid.UUID, referee: uuid.UUID, *, created: bool = True
) -> None:
    """``referee`` joins with ``referrer``'s code."""
    code = await code_of(db, t, referrer)
    async with db.uow() as uow:
        await record_referral_in(
            uow.session,
            merchant_id=t.merchant_id,
            referee_id=referee,
            referral_code=code,
            referee_created=created,
        )
        await uow.commit()


async def placed_order(db: Any, t: Any, member_id: uuid.UUID) -> uuid.UUID:
    """A paid order of the member, ready to complete."""
    return await add_order(db, t, member_id, 3_000, datetime.now(UTC), status="ready")


async def complete(db: Any, t: Any, member_id: uuid.UUID, order_id: uuid.UUID) -> bool:
    """Complete the order and call the reward hook in the same transaction."""
    async with db.uow() as uow:
        await complete_in(uow.session, t, member_id, order_id)
        rewarded = await reward_first_order_in(
            uow.session, merchant_id=t.merchant_id, member_id=member_id, order_id=order_id
        )
        await uow.commit()
    return rewarded


async def complete_in(session: Any, t: Any, member_id: uuid.UUID, order_id: uuid.UUID) -> None:
    await session.execute(
        update(Order)
        .where(Order.merchant_id == t.merchant_id, Order.id == order_id)
        .values(status="completed")
    )
    session.add(
        OrderTransition(
            merchant_id=t.merchant_id,
            id=uuid.uuid4(),
            order_id=order_id,
            from_status="ready",
            to_status="completed",
            action="complete",
            actor="test",
        )
    )
    await session.flush()


async def points(db: Any, t: Any, member_id: uuid.UUID) -> int:
    async with db.uow().read_only() as uow:
        account = await uow.session.get(LoyaltyAccount, (t.merchant_id, member_id))
        return account.points_balance if account else 0
