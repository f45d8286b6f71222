"""When two member records merge, referrals follow the surviving record, and nobody ends
up referring themselves."""

from __future__ import annotations

from sqlalchemy import select

from omniloop.members.models import Member
from omniloop.referrals.models import Referral
from omniloop.referrals.service import merge_referrals_in
from tests.integration.referrals.conftest import complete, placed_order, points, refer
from tests.integration.segments.conftest import add_member


async def merge(db, t, survivor, absorbed):
    async with db.uow() as uow:
        await merge_referrals_in(uow.session, t.merchant_id, survivor, absorbed)
        await uow.commit()


async def pairs(db, t):
    async with db.uow().read_only() as uow:
        rows = await uow.session.scalars(
            select(Referral).where(Referral.merchant_id == t.merchant_id)
        )
        return {(row.referrer_id, row.referee_id) for row in rows}


async def test_the_survivor_takes_over_what_the_absorbed_record_referred(db, shop):
    alice, bob, alice_again = [await add_member(db, shop, n) for n in (1, 2, 3)]
    await refer(db, shop, alice, bob)
    await merge(db, shop, alice_again, alice)
    assert await pairs(db, shop) == {(alice_again, bob)}


async def test_the_survivor_inherits_the_absorbed_records_referral_if_it_has_none(db, shop):
    alice, bob, bob_again = [await add_member(db, shop, n) for n in (1, 2, 3)]
    await refer(db, shop, alice, bob)
    await merge(db, shop, bob_again, bob)
    assert await pairs(db, shop) == {(alice, bob_again)}


async def test_a_referee_whose_referrer_turns_out_to_be_themselves_gets_nothing(db, shop):
    alice, bob = await add_member(db, shop, 1), await add_member(db, shop, 2)
    await refer(db, shop, alice, bob)
    async with db.uow() as uow:  # alice's record is bob's: merged into him
        alice_row = await uow.session.get(Member, (shop.merchant_id, alice))
        alice_row.status, alice_row.merged_into = "merged", bob
        await merge_referrals_in(uow.session, shop.merchant_id, bob, alice)
        await uow.commit()
    assert await pairs(db, shop) == {(alice, bob)}  # kept as it was, not made bob -> bob
    order = await placed_order(db, shop, bob)
    assert await complete(db, shop, bob, order) is False
    assert await points(db, shop, bob) == 0
