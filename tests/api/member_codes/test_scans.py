"""Staff scan the member code at the till (扫会员码): once, within its minute, at their store."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from omniloop.member_codes.models import MemberScan
from omniloop.members.models import MemberActivity
from tests.api.member_codes.conftest import (
    PHONE,
    age_codes,
    forge,
    fresh_code,
    scans_url,
)
from tests.support.events import events_of
from tests.support.factories import add_location


async def scan(t, code, location="S1", **kwargs):
    return await t.post(scans_url(location), json={"member_code": code}, **kwargs)


async def test_staff_scan_identifies_the_member_with_masked_details_and_balances(shop, db):
    r = await shop.post(
        "/api/v1/members", json={"phone": PHONE, "name": "王小明", "channel": "pos"}
    )
    assert r.status_code == 201, r.text
    customer, code = await fresh_code(shop)
    staff = await shop.key_for("store_staff", ["S1"])
    r = await scan(shop, code, key=staff)
    assert r.status_code == 201, r.text
    body = r.json()
    assert uuid.UUID(body["scan_id"]) and body["expires_at"]
    assert body["member"] == {
        "id": customer["member_id"],
        "name": "王*",
        "phone": "+86138****8000",
        "tier": None,
        "points": 0,
        "wallet_total": 0,
    }


async def test_the_owner_sees_the_members_phone_in_full(shop):
    _, code = await fresh_code(shop)
    r = await scan(shop, code)
    assert r.status_code == 201 and r.json()["member"]["phone"] == PHONE


async def test_a_scan_is_a_visit_at_the_store_with_an_event(shop, db):
    customer, code = await fresh_code(shop)
    scan_id = (await scan(shop, code, "S2")).json()["scan_id"]
    async with db.uow().read_only() as uow:
        rows = (
            await uow.session.execute(
                select(MemberActivity.channel, MemberActivity.location_code).where(
                    MemberActivity.merchant_id == shop.merchant_id,
                    MemberActivity.member_id == uuid.UUID(customer["member_id"]),
                    MemberActivity.kind == "scanned",
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [("pos", "S2")]
    assert await events_of(db, shop, "member.scanned") == [
        {"member_id": customer["member_id"], "location": "S2", "scan_id": scan_id}
    ]
    member = (await shop.get(f"/api/v1/members/{customer['member_id']}")).json()
    assert "S2" in member["stores_seen"]


async def test_a_scanned_or_typed_code_works_the_same(shop, db):
    _, code = await fresh_code(shop)
    typed = f" {code[:6]} {code[6:12]}-{code[12:]} "
    assert (await scan(shop, typed)).status_code == 201
    _, other = await fresh_code(shop, "+8613900139000")
    assert (await scan(shop, f"omniloop:member:{other}")).status_code == 201


async def test_a_code_works_once(shop):
    _, code = await fresh_code(shop)
    assert (await scan(shop, code)).status_code == 201
    for location in ("S1", "S2"):
        r = await scan(shop, code, location)
        assert r.status_code == 409 and r.json()["code"] == "member_code_used"


async def test_an_expired_code_is_refused(shop, db, settings):
    customer, code = await fresh_code(shop)
    await age_codes(db, shop, customer["member_id"], seconds=settings.member_code_ttl_seconds)
    r = await scan(shop, code)
    assert r.status_code == 409 and r.json()["code"] == "member_code_expired"


async def test_forged_and_unknown_codes_are_refused_with_attempts_left(shop):
    _, code = await fresh_code(shop)
    r = await scan(shop, forge(code))
    assert r.status_code == 404 and r.json()["code"] == "invalid_member_code"
    assert r.json()["attempts_left"] == 4
    r = await scan(shop, "88" + "0" * 16)
    assert r.status_code == 404 and r.json()["attempts_left"] == 3
    assert (await scan(shop, code)).status_code == 201, "the genuine code still works"


async def test_another_merchants_code_is_unknown_here(shop, other_tenant, db):
    await add_location(db, other_tenant.merchant_id, "S1")
    _, code = await fresh_code(shop)
    r = await scan(other_tenant, code)
    assert r.status_code == 404 and r.json()["code"] == "invalid_member_code"
    assert (await scan(shop, code)).status_code == 201


async def test_malformed_codes_are_a_validation_error_and_do_not_count(shop):
    for text in ("12345", "99" + "1" * 16, "88" + "1" * 15, "88abc", "omniloop:pickup:S1:1:2"):
        r = await scan(shop, text)
        assert r.status_code == 422, (text, r.text)
    _, code = await fresh_code(shop)
    r = await scan(shop, forge(code))
    assert r.json()["attempts_left"] == 4


async def test_five_unknown_codes_in_ten_minutes_lock_the_store_for_a_while(shop, db):
    _, code = await fresh_code(shop)
    for left in (4, 3, 2, 1, 0):
        r = await scan(shop, forge(code))
        assert r.status_code == 404 and r.json()["attempts_left"] == left
    r = await scan(shop, code)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 590 <= int(r.headers["Retry-After"]) <= 600
    assert (await scan(shop, code, "S2")).status_code == 201, "other stores are not locked"
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(MemberScan).where(
                MemberScan.merchant_id == shop.merchant_id, MemberScan.location_code == "S1"
            )
        )
        outcomes = []
        for row in rows:
            outcomes.append(row.outcome)
            row.created_at = row.created_at.replace(year=row.created_at.year - 1)
        await uow.commit()
    assert sorted(outcomes) == ["invalid"] * 5 + ["locked"]
    _, again = await fresh_code(shop, "+8613900139000")
    assert (await scan(shop, again)).status_code == 201, "the lock lifts as failures age"


async def test_the_scan_log_keeps_hints_not_codes(shop, db):
    _, code = await fresh_code(shop)
    await scan(shop, forge(code))
    await scan(shop, code)
    async with db.uow().read_only() as uow:
        hints = list(
            await uow.session.scalars(
                select(MemberScan.code_hint).where(MemberScan.merchant_id == shop.merchant_id)
            )
        )
    assert len(hints) == 2
    assert all(h.endswith(code[-2:]) and h.count("*") == 16 for h in hints)


async def test_staff_scan_only_at_their_own_store_and_unknown_stores_are_not_found(shop):
    _, code = await fresh_code(shop)
    s2_staff = await shop.key_for("store_staff", ["S2"])
    assert (await scan(shop, code, "S1", key=s2_staff)).status_code == 403
    assert (await scan(shop, code, "NOPE")).status_code == 404
    assert (await scan(shop, code, "S1", key=s2_staff)).status_code == 403
    assert (await scan(shop, code, "S2", key=s2_staff)).status_code == 201


async def test_roles_without_the_scan_permission_are_forbidden(shop):
    _, code = await fresh_code(shop)
    customer, _ = await fresh_code(shop, "+8613900139000")
    r = await shop.client.post(
        scans_url("S1"),
        json={"member_code": code},
        headers={"Authorization": f"Bearer {customer['access_token']}"},
    )
    assert r.status_code == 403
    assert (await scan(shop, code)).status_code == 201
