"""The reward of a referral, given when the referred member's first order completes:
:func:`reward_first_order_in`, which orders call in the completing transaction.

The reward is claimed by one conditional ``UPDATE referral SET rewarded_at = now WHERE
rewarded_at IS NULL``: of two completions at once, one updates the row and rewards, the
other finds it claimed (PostgreSQL re-checks the condition once the first commits) and does
nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.errors import OmniloopError
from omniloop.events import record_event
from omniloop.loyalty.domain import PointsKind, points_expiry
from omniloop.loyalty.ledger import post_points_in
from omniloop.loyalty.program import load_program
from omniloop.members.identity import load_member
from omniloop.merchants.models import Merchant
from omniloop.orders.domain import OrderStatus
from omniloop.orders.models import Order, OrderTransition
from omniloop.promotions.grants import grant_in
from omniloop.referrals.domain import Reward
from omniloop.referrals.models import Referral
from omniloop.referrals.program import stored_rule_in
from omniloop.shared.clock import utcnow

ACTOR = "referral"


async def _first_completion(
    session: AsyncSession, merchant_id: uuid.UUID, member_id: uuid.UUID, order_id: uuid.UUID
) -> bool:
    """True when ``order_id`` is the member's completed order and no other ever completed
    (a completed order may since have been refunded: its transition stays)."""
    order = await session.get(Order, (merchant_id, order_id), populate_existing=True)
    if order is None or order.member_id != member_id:
        return False
    if order.status != OrderStatus.COMPLETED.value:
        return False
    members_orders = select(Order.id).where(
        Order.merchant_id == merchant_id, Order.member_id == member_id, Order.id != order_id
    )
    completed_before = exists().where(
        OrderTransition.merchant_id == merchant_id,
        OrderTransition.order_id.in_(members_orders),
        OrderTransition.to_status == OrderStatus.COMPLETED.value,
    )
    return not await session.scalar(select(completed_before))


async def _give(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    reward: Reward,
    side: str,
    referral: Referral,
    order_id: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    """One side's reward: points (an adjustment that says why) and/or a coupon. A coupon
    the template can no longer give (quota, limit, closed) is noted, not fatal: the order's
    completion must not fail for it."""
    given: dict[str, Any] = {"member_id": str(member_id), "points": 0, "coupon_id": None}
    if reward.points:
        program = await load_program(session, merchant_id)
        timezone = await session.scalar(
            select(Merchant.timezone).where(Merchant.merchant_id == merchant_id)
        )
        await post_points_in(
            session,
            merchant_id=merchant_id,
            member_id=member_id,
            points=reward.points,
            kind=PointsKind.ADJUST,
            actor=ACTOR,
            reference=f"referral:{referral.referee_id}",
            expires_at=points_expiry(program, now, timezone or "UTC"),
            detail={"reason": "referral", "side": side, "order_id": str(order_id)},
        )
        given["points"] = reward.points
    if reward.coupon_template_id is not None:
        try:
            async with session.begin_nested():
                coupons = await grant_in(
                    session,
                    merchant_id=merchant_id,
                    template_id=reward.coupon_template_id,
                    member_ids=[member_id],
                    via="referral",
                    actor=ACTOR,
                )
        except OmniloopError as exc:
            given["coupon_refused"] = exc.code
        else:
            if coupons:
                given["coupon_id"] = str(coupons[0].id)
            else:
                given["coupon_refused"] = "coupon_limit_reached"
    return given


async def reward_first_order_in(
    session: AsyncSession, *, merchant_id: uuid.UUID, member_id: uuid.UUID, order_id: uuid.UUID
) -> bool:
    """Reward the referrer and the member per the rule when ``order_id`` is the referred
    member's first completed order; in the caller's transaction, once ever (two completions
    at once reward once). True when it rewarded."""
    referral = await session.scalar(
        select(Referral)
        .where(Referral.merchant_id == merchant_id, Referral.referee_id == member_id)
        .execution_options(populate_existing=True)
    )
    if referral is None or referral.rewarded_at is not None:
        return False
    if not await _first_completion(session, merchant_id, member_id, order_id):
        return False
    rule, _ = await stored_rule_in(session, merchant_id)
    if not rule.enabled:
        return False
    referrer = await load_member(session, merchant_id, referral.referrer_id)
    if referrer.id == member_id:  # the referrer's record was merged into the member since
        return False
    now = utcnow()
    claimed: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(Referral)
        .where(
            Referral.merchant_id == merchant_id,
            Referral.referee_id == member_id,
            Referral.rewarded_at.is_(None),
        )
        .values(rewarded_at=now, reward_order_id=order_id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False

    async def give(member: uuid.UUID, reward: Reward, side: str) -> dict[str, Any]:
        return await _give(
            session, merchant_id=merchant_id, member_id=member, reward=reward, side=side,
            referral=referral, order_id=order_id, now=now,
        )  # fmt: skip

    rewards = {
        "referrer": await give(referrer.id, rule.referrer_reward, "referrer"),
        "referee": await give(member_id, rule.referee_reward, "referee"),
    }
    await session.execute(
        update(Referral)
        .where(Referral.merchant_id == merchant_id, Referral.referee_id == member_id)
        .values(rewards=rewards)
        .execution_options(synchronize_session=False)
    )
    record_event(
        session,
        merchant_id=merchant_id,
        type="referral.rewarded",
        data={
            "referrer_id": str(referrer.id),
            "referee_id": str(member_id),
            "order_id": str(order_id),
            "rewards": rewards,
        },
    )
    return True
