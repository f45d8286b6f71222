"""When a referred member's first order completes, both sides get what the rule says —
once, whatever else completes, however many completions race."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from omniloop.loyalty.models import PointsEntry
from omniloop.promotions.models import Coupon
from omniloop.referrals.domain import Reward
from omniloop.referrals.models import Referral
from omniloop.referrals.rewards import reward_first_order_in
from tests.integration.referrals.conftest import (
    REFEREE_POINTS,
    REFERRER_POINTS,
    complete,
    complete_in,
    placed_order,
    points,
    refer,
    set_rule,
)
from tests.integration.segments.conftest import add_member
from tests.support.events import events_of


async def referred_pair(db, t):
    alice, bob = await add_member(db, t, 1), await add_member(db, t, 2)
    await refer(db, t, alice, bob)
    return alice, bob


async def referral_of(db, t, referee):
    async with db.uow().read_only() as uow:
        return await uow.session.get(Referral, (t.merchant_id, referee))


async def test_the_first_completed_order_rewards_both_sides_once(db, shop):
    alice, bob = await referred_pair(db, shop)
    first = await placed_order(db, shop, bob)

    assert await complete(db, shop, bob, first) is True

    assert await points(db, shop, alice) == REFERRER_POINTS
    assert await points(db, shop, bob) == REFEREE_POINTS
    referral = await referral_of(db, shop, bob)
    assert referral.rewarded_at is not None and referral.reward_order_id == first
    assert referral.rewards["referrer"]["points"] == REFERRER_POINTS
    async with db.uow().read_only() as uow:
        entry = await uow.session.scalar(
            select(PointsEntry).where(
                PointsEntry.merchant_id == shop.merchant_id, PointsEntry.member_id == alice
            )
        )
    assert (entry.kind, entry.detail["reason"], entry.detail["side"]) == (
        "adjust",
        "referral",
        "referrer",
    )
    [event] = await events_of(db, shop, "referral.rewarded")
    assert event["order_id"] == str(first)

    second = await placed_order(db, shop, bob)
    assert await complete(db, shop, bob, second) is False
    async with db.uow() as uow:  # the same completion reported twice
        again = await reward_first_order_in(
            uow.session, merchant_id=shop.merchant_id, member_id=bob, order_id=first
        )
    assert again is False
    assert await points(db, shop, alice) == REFERRER_POINTS
    assert await points(db, shop, bob) == REFEREE_POINTS


async def test_orders_of_members_nobody_referred_reward_nobody(db, shop):
    alice, _ = await referred_pair(db, shop)
    order = await placed_order(db, shop, alice)  # alice was not referred herself
    assert await complete(db, shop, alice, order) is False
    assert await points(db, shop, alice) == 0


async def test_only_a_completed_order_of_the_referred_member_counts(db, shop):
    _, bob = await referred_pair(db, shop)
    not_completed = await placed_order(db, shop, bob)
    carols = await placed_order(db, shop, await add_member(db, shop, 3))
    async with db.uow() as uow:
        for order in (not_completed, carols, uuid.uuid4()):
            assert not await reward_first_order_in(
                uow.session, merchant_id=shop.merchant_id, member_id=bob, order_id=order
            )
    assert (await referral_of(db, shop, bob)).rewarded_at is None


async def test_a_member_who_completed_an_order_before_being_referred_gets_nothing_later(db, shop):
    alice, bob = await add_member(db, shop, 1), await add_member(db, shop, 2)
    earlier = await placed_order(db, shop, bob)
    assert await complete(db, shop, bob, earlier) is False  # not referred yet
    await refer(db, shop, alice, bob)
    later = await placed_order(db, shop, bob)
    assert await complete(db, shop, bob, later) is False
    assert await points(db, shop, alice) == 0


async def test_nothing_is_given_while_the_program_is_off_and_the_first_order_passes(db, shop):
    alice, bob = await referred_pair(db, shop)
    await set_rule(db, shop, enabled=False)
    assert await complete(db, shop, bob, await placed_order(db, shop, bob)) is False
    await set_rule(db, shop)
    assert await complete(db, shop, bob, await placed_order(db, shop, bob)) is False
    assert await points(db, shop, alice) == 0


async def test_a_coupon_reward_is_granted_as_a_referral_coupon(db, shop):
    r = await shop.post(
        "/api/v1/coupon-templates",
        json={"name": "Welcome", "kind": "fixed_amount", "amount": 500, "days_after_grant": 30},
    )
    assert r.status_code == 201, r.text
    template = uuid.UUID(r.json()["id"])
    await set_rule(db, shop, referee_reward=Reward(coupon_template_id=template))
    alice, bob = await referred_pair(db, shop)

    assert await complete(db, shop, bob, await placed_order(db, shop, bob)) is True

    async with db.uow().read_only() as uow:
        coupons = list(
            await uow.session.scalars(select(Coupon).where(Coupon.merchant_id == shop.merchant_id))
        )
    assert [(c.member_id, c.template_id, c.granted_via) for c in coupons] == [
        (bob, template, "referral")
    ]
    assert await points(db, shop, alice) == REFERRER_POINTS
    assert await points(db, shop, bob) == 0
    assert (await referral_of(db, shop, bob)).rewards["referee"]["coupon_id"] == str(coupons[0].id)


async def test_a_coupon_the_template_can_no_longer_give_does_not_stop_the_order(db, shop):
    r = await shop.post(
        "/api/v1/coupon-templates",
        json={"name": "Welcome", "kind": "fixed_amount", "amount": 500, "days_after_grant": 30,
              "total_quota": 1, "per_member_limit": None},
    )  # fmt: skip
    template = uuid.UUID(r.json()["id"])
    await set_rule(db, shop, referrer_reward=Reward(points=100, coupon_template_id=template))
    alice = await add_member(db, shop, 1)
    bob, carol = await add_member(db, shop, 2), await add_member(db, shop, 3)
    await refer(db, shop, alice, bob)
    await refer(db, shop, alice, carol)
    assert await complete(db, shop, bob, await placed_order(db, shop, bob)) is True
    assert await complete(db, shop, carol, await placed_order(db, shop, carol)) is True

    assert await points(db, shop, alice) == 200
    given = (await referral_of(db, shop, carol)).rewards["referrer"]
    assert given["coupon_id"] is None and given["coupon_refused"] == "coupon_quota_exhausted"


async def test_two_completions_at_once_reward_exactly_once(db, shop):
    alice, bob = await referred_pair(db, shop)
    orders = [await placed_order(db, shop, bob) for _ in range(2)]
    # the completed order reported twice, and another (not completed) order, all at once;
    # which transaction goes first is up to the database
    targets = [orders[0], orders[0], orders[1]]

    async def completion(order_id):
        async with db.uow() as uow:
            rewarded = await reward_first_order_in(
                uow.session, merchant_id=shop.merchant_id, member_id=bob, order_id=order_id
            )
            await asyncio.sleep(0.05)  # hold the transaction open while the others try
            await uow.commit()
            return rewarded

    await complete_order_only(db, shop, bob, orders[0])
    results = await asyncio.gather(*(completion(o) for o in targets))

    assert sorted(results) == [False, False, True]
    assert await points(db, shop, alice) == REFERRER_POINTS
    assert await points(db, shop, bob) == REFEREE_POINTS
    assert len(await events_of(db, shop, "referral.rewarded")) == 1


async def complete_order_only(db, t, member_id, order_id):
    async with db.uow() as uow:
        await complete_in(uow.session, t, member_id, order_id)
        await uow.commit()
