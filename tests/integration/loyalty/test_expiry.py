"""Points expire at their lot's date: one ``expire`` entry per member takes what is left of
the overdue lots, and running again takes nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from omniloop.loyalty.expiry import expire_points
from omniloop.loyalty.models import PointsEntry
from tests.integration.loyalty.conftest import account, add_member, post_points
from tests.support.events import events_of

NOW = datetime.now(UTC)
JAN = NOW + timedelta(days=30)
NEXT_JAN = NOW + timedelta(days=395)


async def entries(db, t, member_id):
    async with db.uow().read_only() as uow:
        rows = await uow.session.scalars(
            select(PointsEntry)
            .where(PointsEntry.merchant_id == t.merchant_id, PointsEntry.member_id == member_id)
            .order_by(PointsEntry.created_at)
        )
        return [(e.kind, e.points, e.balance_after) for e in rows]


async def expire(db, t, now):
    return await expire_points(db=db, now=now, merchant_id=t.merchant_id)


async def test_what_is_left_of_overdue_lots_expires_once(db, tenant):
    member = await add_member(db, tenant, 1)
    await post_points(db, tenant, member, 100, expires_at=JAN)
    await post_points(db, tenant, member, 50, expires_at=NEXT_JAN)
    await post_points(db, tenant, member, 30)  # never expires
    await post_points(db, tenant, member, -20)  # spent from the soonest lot
    assert await expire(db, tenant, NOW) == 0
    assert await expire(db, tenant, JAN + timedelta(seconds=1)) == 1
    assert (await account(db, tenant, member)).points_balance == 80
    assert (await entries(db, tenant, member))[-1] == ("expire", -80, 80)
    assert await expire(db, tenant, JAN + timedelta(days=1)) == 0
    assert await expire(db, tenant, NEXT_JAN) == 1  # due at the instant itself
    assert (await account(db, tenant, member)).points_balance == 30
    assert await expire(db, tenant, NEXT_JAN + timedelta(days=3650)) == 0
    assert [e["points"] for e in await events_of(db, tenant, "points.expired")] == [80, 50]


async def test_fully_spent_lots_leave_nothing_to_expire(db, tenant):
    member = await add_member(db, tenant, 1)
    await post_points(db, tenant, member, 100, expires_at=JAN)
    await post_points(db, tenant, member, -100)
    assert await expire(db, tenant, NEXT_JAN) == 0
    assert "expire" not in [kind for kind, _, _ in await entries(db, tenant, member)]
    assert (await account(db, tenant, member)).points_balance == 0


async def test_each_member_expires_on_its_own_and_in_batches(db, tenant):
    members = [await add_member(db, tenant, n) for n in range(7)]
    for i, member in enumerate(members):
        await post_points(db, tenant, member, 10 + i, expires_at=JAN)
        await post_points(db, tenant, member, 5, expires_at=NEXT_JAN)
    assert await expire_points(db=db, now=JAN, batch=3, merchant_id=tenant.merchant_id) == 7
    balances = [(await account(db, tenant, m)).points_balance for m in members]
    assert balances == [5] * 7


async def test_expiry_for_every_merchant_reaches_each_of_them(db, tenant, other_tenant):
    mine = await add_member(db, tenant, 1)
    theirs = await add_member(db, other_tenant, 1)
    await post_points(db, tenant, mine, 10, expires_at=JAN)
    await post_points(db, other_tenant, theirs, 20, expires_at=JAN)
    assert await expire_points(db=db, now=JAN) >= 2
    assert (await account(db, tenant, mine)).points_balance == 0
    assert (await account(db, other_tenant, theirs)).points_balance == 0
