"""The member code (会员码): 18 signed digits, the same for a minute, then a new one."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.api.customer_auth.conftest import sign_in
from tests.api.member_codes.conftest import (
    OTHER_PHONE,
    age_codes,
    bearer,
    code_url,
    fresh_code,
    member_code,
    scans_url,
)


async def test_a_member_gets_an_18_digit_code_with_its_qr_payload(shop, settings):
    customer = await sign_in(shop)
    before = datetime.now().astimezone()
    body = await member_code(shop, customer)
    code = body["code"]
    assert len(code) == 18 and code.isdigit() and code.startswith("88")
    assert body["qr_payload"] == f"omniloop:member:{code}"
    assert body["svg"].startswith("<svg") and "Member code" in body["svg"]
    expires_at = datetime.fromisoformat(body["expires_at"])
    ttl = timedelta(seconds=settings.member_code_ttl_seconds)
    assert before + ttl - timedelta(seconds=5) <= expires_at <= before + ttl + timedelta(seconds=5)
    assert datetime.fromisoformat(body["refresh_after"]) <= expires_at


async def test_asking_again_within_the_minute_shows_the_same_code(shop):
    customer = await sign_in(shop)
    first = await member_code(shop, customer)
    assert await member_code(shop, customer) == first


async def test_an_expired_code_is_replaced_by_a_new_one(shop, db, settings):
    customer = await sign_in(shop)
    first = await member_code(shop, customer)
    await age_codes(db, shop, customer["member_id"], seconds=settings.member_code_ttl_seconds)
    second = await member_code(shop, customer)
    assert second["code"] != first["code"]
    assert second["expires_at"] > first["expires_at"]


async def test_a_used_code_is_replaced_by_a_new_one_at_once(shop):
    customer, code = await fresh_code(shop)
    assert (await shop.post(scans_url("S1"), json={"member_code": code})).status_code == 201
    assert (await member_code(shop, customer))["code"] != code


async def test_codes_of_different_members_differ(shop):
    _, mine = await fresh_code(shop)
    _, theirs = await fresh_code(shop, OTHER_PHONE)
    assert mine != theirs


async def test_owners_and_integrators_may_fetch_a_members_code(shop):
    customer, code = await fresh_code(shop)
    assert (await shop.get(code_url(customer["member_id"]))).json()["code"] == code
    integrator = await shop.key_for("integrator")
    r = await shop.get(code_url(customer["member_id"]), key=integrator)
    assert r.status_code == 200 and r.json()["code"] == code


async def test_operators_and_store_staff_may_not_fetch_codes(shop):
    customer = await sign_in(shop)
    for key in (await shop.key_for("operator"), await shop.key_for("store_staff", ["S1"])):
        r = await shop.get(code_url(customer["member_id"]), key=key)
        assert r.status_code == 403, r.text


async def test_a_customer_may_not_fetch_another_members_code(shop):
    me = await sign_in(shop)
    them = await sign_in(shop, OTHER_PHONE)
    r = await shop.client.get(code_url(them["member_id"]), headers=bearer(me["access_token"]))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


async def test_another_merchants_member_is_not_found(shop, other_tenant):
    customer = await sign_in(shop)
    r = await other_tenant.get(code_url(customer["member_id"]))
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
