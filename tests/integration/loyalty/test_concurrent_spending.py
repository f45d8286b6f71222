"""Many concurrent spends against one balance never take it below zero: each posting
locks the account, so they apply one after another and the ones that would overdraw are
refused (on PostgreSQL through separate sessions at once; SQLite serialises writers)."""

from __future__ import annotations

import asyncio

import pytest

from omniloop.loyalty.check import check_loyalty
from omniloop.loyalty.domain import PointsKind
from omniloop.loyalty.errors import InsufficientPoints, InsufficientWallet
from omniloop.loyalty.ledger import post_points_in, spend_wallet_in
from tests.integration.loyalty.conftest import account, add_member, post_points, post_wallet

SPENDERS = 40


async def _attempt(db, action) -> bool:
    async with db.uow() as uow:
        try:
            await action(uow.session)
        except (InsufficientPoints, InsufficientWallet):
            return False
        await uow.commit()
        return True


@pytest.mark.parametrize("spend", [7, 10])
async def test_concurrent_points_spends_never_overdraw(db, tenant, spend):
    member = await add_member(db, tenant, 1)
    await post_points(db, tenant, member, 60)
    await post_points(db, tenant, member, 40)

    async def take(session):
        await post_points_in(
            session,
            merchant_id=tenant.merchant_id,
            member_id=member,
            points=-spend,
            kind=PointsKind.REDEEM,
            actor="test",
        )

    results = await asyncio.gather(*(_attempt(db, take) for _ in range(SPENDERS)))
    assert sum(results) == 100 // spend
    assert (await account(db, tenant, member)).points_balance == 100 % spend
    assert await check_loyalty(uow=db.uow(), merchant_id=tenant.merchant_id) == (1, [])


async def test_concurrent_wallet_spends_never_overdraw(db, tenant):
    member = await add_member(db, tenant, 1)
    await post_wallet(db, tenant, member, 50_000, 5_000)

    async def pay(session):
        await spend_wallet_in(
            session,
            merchant_id=tenant.merchant_id,
            member_id=member,
            amount=3_000,
            currency="CNY",
            actor="test",
        )

    results = await asyncio.gather(*(_attempt(db, pay) for _ in range(SPENDERS)))
    assert sum(results) == 55_000 // 3_000
    wallet = await account(db, tenant, member)
    assert wallet.wallet_principal >= 0 and wallet.wallet_bonus >= 0
    assert wallet.wallet_principal + wallet.wallet_bonus == 55_000 % 3_000
    assert await check_loyalty(uow=db.uow(), merchant_id=tenant.merchant_id) == (1, [])
