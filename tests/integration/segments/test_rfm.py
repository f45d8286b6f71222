"""RFM is computed for every buyer at once from their paid, not cancelled, not fully
refunded orders, and scores them 1-5 among the merchant's buyers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from omniloop.members.models import Member
from omniloop.orders.models import Order
from omniloop.segments.models import MemberRfm
from omniloop.segments.rfm import compute_rfm
from tests.integration.segments.conftest import add_member, add_order

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def rows(db, t):
    async with db.uow().read_only() as uow:
        found = await uow.session.scalars(
            select(MemberRfm).where(MemberRfm.merchant_id == t.merchant_id)
        )
        return {row.member_id: row for row in found}


async def test_a_buyer_has_recency_frequency_and_net_spend_of_their_purchases(db, tenant):
    member = await add_member(db, tenant, 1)
    await add_order(db, tenant, member, 10_000, days_ago(40))
    await add_order(db, tenant, member, 5_000, days_ago(10.5), refunded=1_000)
    await add_order(db, tenant, member, 9_000, days_ago(3), status="cancelled")
    await add_order(db, tenant, member, 7_000, days_ago(2), status="refunded", refunded=7_000)
    await add_order(db, tenant, member, 8_000, days_ago(1), status="pending_payment",
                    payment_status="unpaid")  # fmt: skip
    await add_order(db, tenant, member, 6_000, days_ago(1), currency="USD")
    await add_order(db, tenant, member, 4_000, NOW + timedelta(hours=1))  # after "now"

    assert await compute_rfm(db=db, merchant_id=tenant.merchant_id, now=NOW) == 1

    row = (await rows(db, tenant))[member]
    assert (row.frequency, row.monetary) == (2, 14_000)
    assert row.last_order_at == days_ago(10.5)
    assert row.recency_days == 10
    assert (row.r_score, row.f_score, row.m_score) == (1, 1, 1)  # the only buyer
    assert row.computed_at == NOW


async def test_members_who_never_bought_get_no_row(db, tenant):
    buyer = await add_member(db, tenant, 1)
    await add_member(db, tenant, 2)
    await add_order(db, tenant, buyer, 1_000, days_ago(1))
    await add_order(db, tenant, None, 1_000, days_ago(1))  # a guest's order
    assert await compute_rfm(db=db, merchant_id=tenant.merchant_id, now=NOW) == 1
    assert set(await rows(db, tenant)) == {buyer}


async def test_scores_are_quintiles_among_buyers_and_equal_values_score_alike(db, tenant):
    members = [await add_member(db, tenant, n) for n in range(10)]
    for n, member in enumerate(members):
        # member n last bought (10 - n) days ago, for 100 * (n + 1); every one bought once,
        # except the last two who bought three times
        await add_order(db, tenant, member, 100 * (n + 1), days_ago(10 - n))
        if n >= 8:
            await add_order(db, tenant, member, 0, days_ago(20))
            await add_order(db, tenant, member, 0, days_ago(30))

    await compute_rfm(db=db, merchant_id=tenant.merchant_id, now=NOW)

    found = await rows(db, tenant)
    assert [found[m].r_score for m in members] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [found[m].m_score for m in members] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [found[m].f_score for m in members] == [1] * 8 + [5, 5]


async def test_a_new_run_follows_the_orders_and_drops_members_who_no_longer_bought(db, tenant):
    stays, leaves = await add_member(db, tenant, 1), await add_member(db, tenant, 2)
    await add_order(db, tenant, stays, 1_000, days_ago(5))
    cancelled = await add_order(db, tenant, leaves, 1_000, days_ago(5))
    await compute_rfm(db=db, merchant_id=tenant.merchant_id, now=NOW)
    assert set(await rows(db, tenant)) == {stays, leaves}

    await add_order(db, tenant, stays, 2_500, days_ago(1))
    async with db.uow() as uow:
        await uow.session.execute(
            update(Order)
            .where(Order.merchant_id == tenant.merchant_id, Order.id == cancelled)
            .values(status="cancelled")
        )
        await uow.commit()
    later = NOW + timedelta(days=1)
    assert await compute_rfm(db=db, merchant_id=tenant.merchant_id, now=later) == 1

    found = await rows(db, tenant)
    assert set(found) == {stays}
    assert (found[stays].frequency, found[stays].monetary, found[stays].recency_days) == (
        2,
        3_500,
        2,
    )
    assert found[stays].computed_at == later


async def test_merged_away_records_are_not_scored(db, tenant):
    survivor, absorbed = await add_member(db, tenant, 1), await add_member(db, tenant, 2)
    await add_order(db, tenant, survivor, 1_000, days_ago(5))
    await add_order(db, tenant, absorbed, 1_000, days_ago(5))
    async with db.uow() as uow:
        await uow.session.execute(
            update(Member)
            .where(Member.merchant_id == tenant.merchant_id, Member.id == absorbed)
            .values(status="merged", merged_into=survivor)
        )
        await uow.commit()
    await compute_rfm(db=db, merchant_id=tenant.merchant_id, now=NOW)
    assert set(await rows(db, tenant)) == {survivor}


async def test_each_merchant_is_scored_among_its_own_buyers(db, tenant, other_tenant):
    mine = await add_member(db, tenant, 1)
    theirs = [await add_member(db, other_tenant, n) for n in range(5)]
    await add_order(db, tenant, mine, 100, days_ago(50))
    for n, member in enumerate(theirs):
        await add_order(db, other_tenant, member, 1_000_000 * (n + 1), days_ago(n))

    await compute_rfm(db=db, now=NOW)  # every merchant

    assert set(await rows(db, tenant)) == {mine}
    assert len(await rows(db, other_tenant)) == 5
    row = (await rows(db, tenant))[mine]
    assert (row.r_score, row.f_score, row.m_score) == (1, 1, 1)


async def test_two_computations_at_once_end_with_the_same_rows(db, tenant):
    members = [await add_member(db, tenant, n) for n in range(20)]
    for n, member in enumerate(members):
        await add_order(db, tenant, member, 100 * (n + 1), days_ago(n))

    runs = await asyncio.gather(
        compute_rfm(db=db, merchant_id=tenant.merchant_id, now=NOW),
        compute_rfm(db=db, merchant_id=tenant.merchant_id, now=NOW),
    )

    assert runs == [20, 20]
    found = await rows(db, tenant)
    assert (
        sorted(row.m_score for row in found.values())
        == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4
    )
