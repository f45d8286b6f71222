"""The voucher check: each balance is what its redemptions left, and revenue adds up."""

from __future__ import annotations

import uuid

from sqlalchemy import update

from omniloop.vouchers.check import check_vouchers
from omniloop.vouchers.models import Voucher
from tests.api.vouchers.conftest import add_product, buy, redemptions


async def test_vouchers_redeemed_through_the_api_agree_with_their_ledger(shop, db):
    await add_product(shop, partial_redemption=True)
    vouchers = await buy(db, shop, qty=3)
    await shop.post(redemptions("S1"), json={"code": vouchers[0]["code"], "amount": 3333})
    await shop.post(redemptions("S2"), json={"code": vouchers[0]["code"]})
    await shop.post(redemptions("S2"), json={"code": vouchers[1]["code"], "amount": 1})
    checked, problems = await check_vouchers(uow=db.uow(), merchant_id=shop.merchant_id)
    assert (checked, problems) == (3, [])


async def test_a_balance_that_disagrees_with_its_redemptions_is_reported(shop, db):
    await add_product(shop, partial_redemption=True)
    [voucher] = await buy(db, shop)
    await shop.post(redemptions("S1"), json={"code": voucher["code"], "amount": 4000})
    async with db.uow() as uow:
        await uow.session.execute(
            update(Voucher)
            .where(Voucher.merchant_id == shop.merchant_id)
            .values(balance=Voucher.balance + 1)
        )
        await uow.commit()
    checked, problems = await check_vouchers(uow=db.uow(), merchant_id=shop.merchant_id)
    assert checked == 1
    assert {(p.field, p.recorded, p.derived, p.source) for p in problems} == {
        ("balance", 6001, 6000, "its redemptions"),
        ("balance", 6001, 6000, "its newest redemption"),
    }
    assert all(p.voucher_id == uuid.UUID(voucher["id"]) for p in problems)
    assert "voucher" in problems[0].describe()
