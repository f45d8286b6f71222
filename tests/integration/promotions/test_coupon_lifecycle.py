"""What orders do to coupons, through the in-transaction functions orders call: hold when
placed, use when paid, release when an unpaid order ends, and after a refund."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from omniloop.members.merge import merge_in
from omniloop.promotions.coupons import merge_coupons_in
from omniloop.promotions.domain import CartContext, CartLine, Rejection
from omniloop.promotions.errors import CouponLimitReached, CouponUnavailable
from omniloop.promotions.grants import grant_in
from omniloop.promotions.lifecycle import (
    after_refund_in,
    consume_coupons_in,
    hold_coupons_in,
    release_coupons_in,
)
from omniloop.promotions.models import Coupon
from omniloop.promotions.pricing import price_in
from omniloop.shared.clock import utcnow
from tests.integration.promotions.conftest import (
    add_member,
    add_template,
    coupon,
    give,
    issued,
)
from tests.support.events import events_of
from tests.support.factories import add_skus


async def run(db, action):
    async with db.uow() as uow:
        await action(uow.session)
        await uow.commit()


def hold(t, order_id, *codes):
    return lambda s: hold_coupons_in(
        s, merchant_id=t.merchant_id, order_id=order_id, codes=list(codes)
    )


def consume(t, order_id):
    return lambda s: consume_coupons_in(s, merchant_id=t.merchant_id, order_id=order_id)


def release(t, order_id):
    return lambda s: release_coupons_in(s, merchant_id=t.merchant_id, order_id=order_id)


def refunded(t, order_id, fully):
    return lambda s: after_refund_in(
        s, merchant_id=t.merchant_id, order_id=order_id, fully_refunded=fully
    )


@pytest.fixture
async def member(db, tenant):
    return await add_member(db, tenant, 1)


async def test_a_held_coupon_is_used_when_the_order_is_paid(db, tenant, member):
    code = await give(db, tenant, await add_template(db, tenant), member)
    order = uuid.uuid4()
    await run(db, hold(tenant, order, code))
    held = await coupon(db, tenant, code)
    assert (held.status, held.order_id) == ("held", order)
    await run(db, consume(tenant, order))
    used = await coupon(db, tenant, code)
    assert (used.status, used.order_id) == ("used", order) and used.used_at is not None
    (event,) = await events_of(db, tenant, "coupon.used")
    assert (event["code"], event["order_id"]) == (code, str(order))


async def test_a_coupon_held_by_one_order_cannot_be_held_by_another(db, tenant, member):
    code = await give(db, tenant, await add_template(db, tenant), member)
    first, second = uuid.uuid4(), uuid.uuid4()
    await run(db, hold(tenant, first, code))
    with pytest.raises(CouponUnavailable) as refused:
        await run(db, hold(tenant, second, code))
    assert refused.value.code == "coupon_unavailable" and refused.value.extra["code"] == code
    await run(db, hold(tenant, first, code.lower()))  # the same order again: nothing changes
    assert (await coupon(db, tenant, code)).order_id == first


async def test_two_orders_racing_for_one_coupon_leave_it_with_exactly_one(db, tenant, member):
    code = await give(db, tenant, await add_template(db, tenant), member)

    async def attempt(order_id):
        try:
            await run(db, hold(tenant, order_id, code))
        except CouponUnavailable:
            return None
        return order_id

    winners = [o for o in await asyncio.gather(*(attempt(uuid.uuid4()) for _ in range(8))) if o]
    assert len(winners) == 1
    assert (await coupon(db, tenant, code)).order_id == winners[0]


async def test_used_expired_and_unknown_coupons_cannot_be_held(db, tenant, member):
    template = await add_template(db, tenant, per_member_limit=None)
    used, old = await give(db, tenant, template, member), await give(db, tenant, template, member)
    await run(db, hold(tenant, uuid.uuid4(), used))
    async with db.uow() as uow:
        await uow.session.execute(
            update(Coupon)
            .where(Coupon.merchant_id == tenant.merchant_id, Coupon.code == old)
            .values(valid_until=utcnow() - timedelta(seconds=1))
        )
        await uow.commit()
    for code in (used, old, "NOSUCHCODE99"):
        with pytest.raises(CouponUnavailable):
            await run(db, hold(tenant, uuid.uuid4(), code))


async def test_a_cancelled_unpaid_order_gives_its_coupons_back(db, tenant, member):
    code = await give(db, tenant, await add_template(db, tenant), member)
    order = uuid.uuid4()
    await run(db, hold(tenant, order, code))
    await run(db, release(tenant, order))
    back = await coupon(db, tenant, code)
    assert (back.status, back.order_id) == ("available", None)
    (event,) = await events_of(db, tenant, "coupon.released")
    assert event["order_id"] == str(order)
    await run(db, hold(tenant, uuid.uuid4(), code))  # another order may take it now
    await run(db, release(tenant, order))  # releasing twice does nothing
    assert (await coupon(db, tenant, code)).status == "held"


async def test_releasing_or_consuming_another_merchants_order_touches_nothing(
    db, tenant, other_tenant, member
):
    code = await give(db, tenant, await add_template(db, tenant), member)
    order = uuid.uuid4()
    await run(db, hold(tenant, order, code))
    await run(db, release(other_tenant, order))
    await run(db, consume(other_tenant, order))
    assert (await coupon(db, tenant, code)).status == "held"


async def paid_with(db, tenant, member, **template_fields):
    code = await give(db, tenant, await add_template(db, tenant, **template_fields), member)
    order = uuid.uuid4()
    await run(db, hold(tenant, order, code))
    await run(db, consume(tenant, order))
    return code, order


async def test_a_used_coupon_is_forfeit_on_refund_by_default(db, tenant, member):
    code, order = await paid_with(db, tenant, member)
    await run(db, refunded(tenant, order, True))
    assert (await coupon(db, tenant, code)).status == "used"


async def test_a_restorable_coupon_comes_back_only_on_a_full_refund(db, tenant, member):
    code, order = await paid_with(db, tenant, member, refund_policy="restore_on_full_refund")
    await run(db, refunded(tenant, order, False))
    assert (await coupon(db, tenant, code)).status == "used"
    await run(db, refunded(tenant, order, True))
    back = await coupon(db, tenant, code)
    assert (back.status, back.order_id, back.used_at) == ("available", None, None)
    (event,) = await events_of(db, tenant, "coupon.restored")
    assert event["code"] == code


async def test_a_restorable_coupon_past_its_validity_stays_used(db, tenant, member):
    code, order = await paid_with(db, tenant, member, refund_policy="restore_on_full_refund")
    async with db.uow() as uow:
        await uow.session.execute(
            update(Coupon)
            .where(Coupon.merchant_id == tenant.merchant_id, Coupon.code == code)
            .values(valid_until=utcnow() - timedelta(seconds=1))
        )
        await uow.commit()
    await run(db, refunded(tenant, order, True))
    assert (await coupon(db, tenant, code)).status == "used"


# --------------------------------------------------------------------------- pricing


def cart_context(**changes):
    values = {
        "channel": "own_app",
        "location": "S1",
        "member_tier": None,
        "at": utcnow(),
        "currency": "CNY",
    }
    values.update(changes)
    return CartContext(**values)


async def price(db, tenant, member_id, codes, lines=None):
    async with db.uow().read_only() as uow:
        return await price_in(
            uow.session,
            merchant_id=tenant.merchant_id,
            lines=lines or [CartLine(1, "TEA", None, 2, 1500)],
            ctx=cart_context(),
            member_id=member_id,
            coupon_codes=codes,
        )


async def test_pricing_checks_each_coupon_against_the_member(db, tenant, member):
    await add_skus(db, tenant.merchant_id, ["TEA"])
    someone = await add_member(db, tenant, 2)
    template = await add_template(db, tenant)
    mine, theirs = (
        await give(db, tenant, template, member),
        await give(db, tenant, template, someone),
    )
    result = await price(db, tenant, member, ["nosuch-code", theirs, mine.lower()])
    assert result.applied_coupons == (mine,) and result.total == 2500
    assert [(r.code, r.reason) for r in result.rejected_coupons] == [
        ("NOSUCHCODE", Rejection.UNKNOWN),
        (theirs, Rejection.NOT_YOURS),
    ]


async def test_pricing_finds_a_lines_category_when_the_caller_has_none(db, tenant, member):
    await add_skus(db, tenant.merchant_id, ["TEA"])  # category "test"
    code = await give(db, tenant, await add_template(db, tenant, categories=["test"]), member)
    result = await price(db, tenant, member, [code])
    assert result.applied_coupons == (code,)


async def test_a_held_coupon_prices_as_in_use(db, tenant, member):
    await add_skus(db, tenant.merchant_id, ["TEA"])
    code = await give(db, tenant, await add_template(db, tenant), member)
    await run(db, hold(tenant, uuid.uuid4(), code))
    result = await price(db, tenant, member, [code])
    assert result.rejected_coupons[0].reason is Rejection.IN_USE


async def test_a_merged_members_coupons_move_to_the_survivor(db, tenant, member):
    absorbed = await add_member(db, tenant, 2)
    code = await give(db, tenant, await add_template(db, tenant), absorbed)
    await run(db, lambda s: merge_coupons_in(s, tenant.merchant_id, member, absorbed))
    assert (await coupon(db, tenant, code)).member_id == member


async def test_a_grant_to_a_merged_record_goes_to_its_survivor_once(db, tenant, member):
    absorbed = await add_member(db, tenant, 2)
    await run(
        db,
        lambda s: merge_in(
            s, merchant_id=tenant.merchant_id, survivor_id=member, absorbed_id=absorbed, actor="t"
        ),
    )
    template = await add_template(db, tenant, per_member_limit=None)
    async with db.uow() as uow:
        coupons = await grant_in(
            uow.session,
            merchant_id=tenant.merchant_id,
            template_id=template,
            member_ids=[absorbed, member],
            via="grant",
            actor="test",
        )
        await uow.commit()
    assert [c.member_id for c in coupons] == [member]


async def test_a_grant_refusing_members_at_their_limit_gives_nobody_anything(db, tenant, member):
    someone = await add_member(db, tenant, 2)
    template = await add_template(db, tenant, per_member_limit=1)
    await give(db, tenant, template, member)
    with pytest.raises(CouponLimitReached):
        async with db.uow() as uow:
            await grant_in(
                uow.session,
                merchant_id=tenant.merchant_id,
                template_id=template,
                member_ids=[someone, member],
                via="grant",
                actor="test",
                on_limit="refuse",
            )
    assert await issued(db, tenant, template) == (1, 1)
