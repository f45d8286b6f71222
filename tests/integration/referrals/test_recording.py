"""A new member joining with a code is recorded as referred by the code's owner, once;
self-referral, existing members and loops are refused with a reason."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from omniloop.referrals.domain import CODE_ALPHABET, RefusalReason
from omniloop.referrals.errors import ReferralRefused
from omniloop.referrals.models import Referral
from omniloop.referrals.service import record_referral_in
from tests.integration.referrals.conftest import code_of, refer, set_rule
from tests.integration.segments.conftest import add_member
from tests.support.events import events_of


async def referrals(db, t):
    async with db.uow().read_only() as uow:
        rows = await uow.session.scalars(
            select(Referral).where(Referral.merchant_id == t.merchant_id)
        )
        return {(row.referrer_id, row.referee_id) for row in rows}


async def refused(db, t, referrer, referee, *, created=True) -> str:
    with pytest.raises(ReferralRefused) as caught:
        await refer(db, t, referrer, referee, created=created)
    return caught.value.reason.value


async def test_a_new_member_joining_with_a_code_is_referred_by_its_owner(db, shop):
    alice, bob = await add_member(db, shop, 1), await add_member(db, shop, 2)
    await refer(db, shop, alice, bob)
    assert await referrals(db, shop) == {(alice, bob)}
    [event] = await events_of(db, shop, "referral.recorded")
    assert event["referrer_id"] == str(alice) and event["referee_id"] == str(bob)


async def test_codes_are_read_forgivingly(db, shop):
    alice, bob = await add_member(db, shop, 1), await add_member(db, shop, 2)
    code = await code_of(db, shop, alice)
    async with db.uow() as uow:
        await record_referral_in(
            uow.session,
            merchant_id=shop.merchant_id,
            referee_id=bob,
            referral_code=f" {code[:4].lower()}-{code[4:]} ",
            referee_created=True,
        )
        await uow.commit()
    assert await referrals(db, shop) == {(alice, bob)}


async def test_a_member_cannot_refer_themselves(db, shop):
    alice = await add_member(db, shop, 1)
    assert await refused(db, shop, alice, alice) == RefusalReason.SELF_REFERRAL
    assert await referrals(db, shop) == set()


async def test_a_member_who_existed_before_cannot_be_referred(db, shop):
    alice, bob = await add_member(db, shop, 1), await add_member(db, shop, 2)
    assert await refused(db, shop, alice, bob, created=False) == RefusalReason.EXISTING_MEMBER


async def test_a_member_is_referred_only_once(db, shop):
    alice, bob, carol = [await add_member(db, shop, n) for n in (1, 2, 3)]
    await refer(db, shop, alice, carol)
    assert await refused(db, shop, bob, carol) == RefusalReason.ALREADY_REFERRED
    assert await refused(db, shop, alice, carol) == RefusalReason.ALREADY_REFERRED
    assert await referrals(db, shop) == {(alice, carol)}


async def test_the_member_one_referred_cannot_refer_one_back(db, shop):
    alice, bob = await add_member(db, shop, 1), await add_member(db, shop, 2)
    await refer(db, shop, alice, bob)
    assert await refused(db, shop, bob, alice) == RefusalReason.LOOP


async def test_nobody_down_ones_chain_can_refer_one_however_indirectly(db, shop):
    a, b, c, d = [await add_member(db, shop, n) for n in range(4)]
    await refer(db, shop, a, b)
    await refer(db, shop, b, c)
    await refer(db, shop, c, d)
    assert await refused(db, shop, d, a) == RefusalReason.LOOP
    assert await refused(db, shop, c, a) == RefusalReason.LOOP
    e = await add_member(db, shop, 5)
    await refer(db, shop, d, e)  # further down the chain is fine
    assert len(await referrals(db, shop)) == 4


async def test_an_unknown_code_or_another_merchants_code_is_422(db, shop, other_tenant):
    bob = await add_member(db, shop, 2)
    stranger = await add_member(db, other_tenant, 1)
    for code in ("nonsense!", "23456789", await code_of(db, other_tenant, stranger)):
        with pytest.raises(ReferralRefused) as caught:
            async with db.uow() as uow:
                await record_referral_in(
                    uow.session,
                    merchant_id=shop.merchant_id,
                    referee_id=bob,
                    referral_code=code,
                    referee_created=True,
                )
        assert caught.value.reason is RefusalReason.UNKNOWN_CODE
        assert caught.value.status == 422 and caught.value.code == "referral_refused"


async def test_codes_do_nothing_while_the_program_is_off(db, tenant):
    alice, bob = await add_member(db, tenant, 1), await add_member(db, tenant, 2)
    assert await refused(db, tenant, alice, bob) == RefusalReason.PROGRAM_DISABLED
    await set_rule(db, tenant)
    await refer(db, tenant, alice, bob)
    await set_rule(db, tenant, enabled=False)
    carol = await add_member(db, tenant, 3)
    assert await refused(db, tenant, alice, carol) == RefusalReason.PROGRAM_DISABLED


async def test_two_members_using_each_others_codes_at_once_do_not_make_a_loop(db, shop):
    alice, bob = await add_member(db, shop, 1), await add_member(db, shop, 2)
    codes = {alice: await code_of(db, shop, alice), bob: await code_of(db, shop, bob)}

    async def join(referee, referrer):
        async with db.uow() as uow:
            await record_referral_in(
                uow.session,
                merchant_id=shop.merchant_id,
                referee_id=referee,
                referral_code=codes[referrer],
                referee_created=True,
            )
            await asyncio.sleep(0.05)  # hold the transaction open while the other tries
            await uow.commit()

    results = await asyncio.gather(join(alice, bob), join(bob, alice), return_exceptions=True)

    refusals = [r for r in results if isinstance(r, ReferralRefused)]
    assert len(refusals) == 1 and refusals[0].reason is RefusalReason.LOOP
    assert len(await referrals(db, shop)) == 1


async def test_a_members_code_is_stable_and_each_members_is_different(db, shop):
    members = [await add_member(db, shop, n) for n in range(20)]
    codes = [await code_of(db, shop, m) for m in members]
    assert len(set(codes)) == 20
    assert [await code_of(db, shop, m) for m in members] == codes
    assert all(re.fullmatch(f"[{CODE_ALPHABET}]{{8}}", code) for code in codes)
