"""The loyalty ledger check finds every cached balance that its ledgers do not explain,
and ``omniloop check`` reports it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

from sqlalchemy import update

from omniloop.loyalty.check import check_loyalty
from omniloop.loyalty.models import LoyaltyAccount, PointsEntry, PointsLot
from omniloop.shared.clock import utcnow
from tests.integration.loyalty.conftest import add_member, post_points, post_wallet


async def tamper(db, statement):
    async with db.uow() as uow:
        await uow.session.execute(statement)
        await uow.commit()


async def problems(db, t):
    checked, found = await check_loyalty(uow=db.uow(), merchant_id=t.merchant_id)
    return checked, sorted((p.field, p.recorded, p.derived, p.source) for p in found)


async def busy_member(db, t, n=1):
    member = await add_member(db, t, n)
    await post_points(db, t, member, 300)
    await post_points(db, t, member, 200)
    await post_points(db, t, member, -250)
    await post_wallet(db, t, member, 50_000, 5_000)
    await post_wallet(db, t, member, -10_000, -1_000)
    return member


async def test_consistent_ledgers_pass(db, tenant):
    await busy_member(db, tenant, 1)
    await busy_member(db, tenant, 2)
    await add_member(db, tenant, 3)  # no account at all
    assert await problems(db, tenant) == (2, [])


async def test_a_tampered_points_balance_is_reported_against_entries_lots_and_newest_entry(
    db, tenant
):
    member = await busy_member(db, tenant)
    await tamper(
        db,
        update(LoyaltyAccount)
        .where(LoyaltyAccount.merchant_id == tenant.merchant_id)
        .values(points_balance=LoyaltyAccount.points_balance + 5),
    )
    checked, found = await problems(db, tenant)
    assert checked == 1
    assert found == [
        ("points_balance", 255, 250, "its newest points entry"),
        ("points_balance", 255, 250, "its points entries"),
        ("points_balance", 255, 250, "its points lots"),
    ]
    _, raw = await check_loyalty(uow=db.uow(), merchant_id=tenant.merchant_id)
    assert str(member) in raw[0].describe() and "is 255" in raw[0].describe()


async def test_tampered_wallet_parts_and_lots_are_reported(db, tenant):
    member = await busy_member(db, tenant)
    await tamper(
        db,
        update(LoyaltyAccount)
        .where(LoyaltyAccount.merchant_id == tenant.merchant_id)
        .values(wallet_bonus=0),
    )
    await tamper(
        db,
        update(PointsLot)
        .where(PointsLot.merchant_id == tenant.merchant_id, PointsLot.member_id == member)
        .values(remaining=PointsLot.points),
    )
    _, found = await problems(db, tenant)
    assert found == [
        ("points_balance", 250, 500, "its points lots"),
        ("wallet_bonus", 0, 4_000, "its newest wallet entry"),
        ("wallet_bonus", 0, 4_000, "its wallet entries"),
    ]


async def test_entries_of_a_member_without_an_account_are_reported(db, tenant):
    member = await add_member(db, tenant, 1)
    async with db.uow() as uow:
        uow.session.add(
            PointsEntry(
                merchant_id=tenant.merchant_id,
                id=uuid.uuid4(),
                member_id=member,
                kind="earn",
                points=10,
                balance_after=10,
                detail={},
                actor="test",
                created_at=utcnow(),
            )
        )
        await uow.commit()
    _, found = await problems(db, tenant)
    assert found == [("points_balance", 0, 10, "entries without an account")]


async def test_the_check_is_per_merchant_when_asked(db, tenant, other_tenant):
    await busy_member(db, other_tenant)
    await tamper(
        db,
        update(LoyaltyAccount)
        .where(LoyaltyAccount.merchant_id == other_tenant.merchant_id)
        .values(points_balance=1),
    )
    await busy_member(db, tenant)
    assert await problems(db, tenant) == (1, [])


async def test_omniloop_check_reports_loyalty_mismatches(db, tenant, database_url):
    await busy_member(db, tenant)
    env = {**os.environ, "OMNILOOP_DATABASE_URL": database_url, "COLUMNS": "250"}
    command = [sys.executable, "-m", "omniloop", "check"]
    before = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120
    )
    assert "points and wallet:" in before.stdout, before.stdout + before.stderr
    await tamper(
        db,
        update(LoyaltyAccount)
        .where(LoyaltyAccount.merchant_id == tenant.merchant_id)
        .values(wallet_principal=LoyaltyAccount.wallet_principal + 1),
    )
    after = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120
    )
    assert after.returncode == 1, after.stdout + after.stderr
    assert f"merchant {tenant.merchant_id}" in after.stdout
    assert "wallet_principal is 40001" in after.stdout
