"""POS order intake claims a member scan: once, at its store, while it is fresh."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from omniloop.member_codes.errors import MemberScanInvalid
from omniloop.member_codes.models import MemberScan
from omniloop.member_codes.service import claim_scan_in
from omniloop.members.models import Member
from tests.api.member_codes.conftest import OTHER_PHONE, fresh_code, scans_url


async def scanned(t, location="S1", phone=None):
    customer, code = await (fresh_code(t, phone) if phone else fresh_code(t))
    r = await t.post(scans_url(location), json={"member_code": code})
    assert r.status_code == 201, r.text
    return customer["member_id"], uuid.UUID(r.json()["scan_id"])


async def claim(db, t, scan_id, location="S1", order_id=None):
    async with db.uow() as uow:
        member_id = await claim_scan_in(
            uow.session,
            merchant_id=t.merchant_id,
            scan_id=scan_id,
            location=location,
            order_id=order_id,
        )
        await uow.commit()
    return str(member_id)


async def test_an_order_claims_a_fresh_scan_and_gets_its_member(shop, db):
    member_id, scan_id = await scanned(shop)
    assert await claim(db, shop, scan_id, order_id=uuid.uuid4()) == member_id


async def test_a_scan_serves_one_order_and_a_retry_of_that_order(shop, db):
    member_id, scan_id = await scanned(shop)
    order = uuid.uuid4()
    assert await claim(db, shop, scan_id, order_id=order) == member_id
    assert await claim(db, shop, scan_id, order_id=order) == member_id
    for other in (uuid.uuid4(), None):
        with pytest.raises(MemberScanInvalid):
            await claim(db, shop, scan_id, order_id=other)


async def test_a_claim_without_an_order_id_is_single_use(shop, db):
    _, scan_id = await scanned(shop)
    await claim(db, shop, scan_id)
    with pytest.raises(MemberScanInvalid):
        await claim(db, shop, scan_id)


async def test_a_scan_is_claimed_only_at_its_own_store(shop, db):
    _, scan_id = await scanned(shop, "S1")
    with pytest.raises(MemberScanInvalid):
        await claim(db, shop, scan_id, "S2")


async def test_a_stale_scan_cannot_be_claimed(shop, db):
    _, scan_id = await scanned(shop)
    async with db.uow() as uow:
        row = await uow.session.get(MemberScan, (shop.merchant_id, scan_id))
        row.expires_at = row.created_at - timedelta(seconds=1)
        await uow.commit()
    with pytest.raises(MemberScanInvalid) as refused:
        await claim(db, shop, scan_id)
    assert refused.value.code == "member_scan_invalid" and refused.value.status == 409


async def test_unknown_failed_and_other_merchants_scans_cannot_be_claimed(shop, other_tenant, db):
    with pytest.raises(MemberScanInvalid):
        await claim(db, shop, uuid.uuid4())
    r = await shop.post(scans_url("S1"), json={"member_code": "88" + "0" * 16})
    assert r.status_code == 404
    async with db.uow().read_only() as uow:
        failed = await uow.session.scalar(
            select(MemberScan.id).where(MemberScan.merchant_id == shop.merchant_id)
        )
    with pytest.raises(MemberScanInvalid):
        await claim(db, shop, failed)
    _, scan_id = await scanned(shop)
    with pytest.raises(MemberScanInvalid):
        await claim(db, other_tenant, scan_id)


async def test_a_scan_of_a_since_merged_member_gives_the_survivor(shop, db):
    member_id, scan_id = await scanned(shop)
    survivor, _ = await fresh_code(shop, OTHER_PHONE)
    async with db.uow() as uow:
        await uow.session.execute(
            update(Member)
            .where(Member.merchant_id == shop.merchant_id, Member.id == uuid.UUID(member_id))
            .values(status="merged", merged_into=uuid.UUID(survivor["member_id"]))
        )
        await uow.commit()
    assert await claim(db, shop, scan_id) == survivor["member_id"]
