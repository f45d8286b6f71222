"""Referral codes, the merchant's referral program and naming one's referrer, over HTTP:
who may do what, and for which merchant."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from omniloop.members.models import Member
from omniloop.shared.clock import utcnow
from tests.api.customer_auth.conftest import OTHER_PHONE, PHONE, sign_in
from tests.support.factories import add_location

PROGRAM = "/api/v1/referral-program"
RULE = {
    "enabled": True,
    "referrer_reward": {"points": 500},
    "referee_reward": {"points": 200},
}


def code_url(member_id) -> str:
    return f"/api/v1/members/{member_id}/referral-code"


def referrer_url(member_id) -> str:
    return f"/api/v1/members/{member_id}/referrer"


async def new_member(t, phone):
    r = await t.post("/api/v1/members", json={"phone": phone, "channel": "own_app"})
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


@pytest.fixture
async def shop(tenant):
    assert (await tenant.put(PROGRAM, json=RULE)).status_code == 200
    return tenant


async def test_the_program_is_off_until_set_and_versioned_after(tenant):
    r = await tenant.get(PROGRAM)
    assert r.status_code == 200
    assert r.json()["enabled"] is False and r.json()["version"] == 0
    r = await tenant.put(PROGRAM, json=RULE)
    assert r.status_code == 200, r.text
    assert r.json()["referrer_reward"] == {"points": 500, "coupon_template_id": None}
    assert r.json()["version"] == 1
    r = await tenant.put(PROGRAM, json={**RULE, "enabled": False})
    assert (r.json()["enabled"], r.json()["version"]) == (False, 2)
    assert (await tenant.get(PROGRAM)).json()["version"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enabled": True}, "referrer_reward"),
        ({"enabled": True, "referee_reward": {"points": -1}}, "referee_reward.points"),
        (
            {"enabled": True, "referee_reward": {"coupon_template_id": str(uuid.uuid4())}},
            "referee_reward.coupon_template_id",
        ),
    ],
)  # fmt: skip
async def test_a_rule_that_rewards_nobody_or_names_an_unknown_coupon_is_422(tenant, body, field):
    r = await tenant.put(PROGRAM, json=body)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}


async def test_another_merchants_coupon_template_cannot_be_a_reward(tenant, other_tenant):
    r = await other_tenant.post(
        "/api/v1/coupon-templates",
        json={"name": "Theirs", "kind": "fixed_amount", "amount": 500, "days_after_grant": 30},
    )
    body = {"enabled": True, "referee_reward": {"coupon_template_id": r.json()["id"]}}
    assert (await tenant.put(PROGRAM, json=body)).status_code == 422
    assert (await other_tenant.put(PROGRAM, json=body)).status_code == 200


async def test_only_loyalty_managers_change_the_program_and_customers_may_read_it(db, tenant):
    await add_location(db, tenant.merchant_id, "S1")
    customer = (await sign_in(tenant))["access_token"]
    for role_key in (
        await tenant.key_for("store_staff", ["S1"]),
        await tenant.key_for("integrator"),
        customer,
    ):
        assert (await tenant.put(PROGRAM, json=RULE, key=role_key)).status_code == 403
    assert (await tenant.get(PROGRAM, key=customer)).status_code == 200
    operator = await tenant.key_for("operator")
    assert (await tenant.put(PROGRAM, json=RULE, key=operator)).status_code == 200


async def test_a_members_code_is_made_once_and_shows_how_it_did(shop):
    alice = await new_member(shop, PHONE)
    first = await shop.get(code_url(alice))
    assert first.status_code == 200, first.text
    assert (await shop.get(code_url(alice))).json()["code"] == first.json()["code"]
    assert (first.json()["referred"], first.json()["rewarded"]) == (0, 0)
    bob = await new_member(shop, OTHER_PHONE)
    r = await shop.post(referrer_url(bob), json={"referral_code": first.json()["code"]})
    assert r.status_code == 201, r.text
    assert r.json()["referrer_id"] == alice and r.json()["rewarded_at"] is None
    assert (await shop.get(code_url(alice))).json()["referred"] == 1


async def test_customers_see_their_own_code_and_name_their_own_referrer_only(shop):
    alice = await sign_in(shop, PHONE)
    bob = await sign_in(shop, OTHER_PHONE)
    alice_key, bob_key = alice["access_token"], bob["access_token"]
    r = await shop.get(code_url(alice["member_id"]), key=alice_key)
    assert r.status_code == 200
    code = r.json()["code"]
    assert (await shop.get(code_url(bob["member_id"]), key=alice_key)).status_code == 403
    r = await shop.post(referrer_url(alice["member_id"]), json={"referral_code": code}, key=bob_key)
    assert r.status_code == 403
    r = await shop.post(referrer_url(bob["member_id"]), json={"referral_code": code}, key=bob_key)
    assert r.status_code == 201, r.text


async def test_refusals_say_why(db, shop):
    alice, bob = await new_member(shop, PHONE), await new_member(shop, OTHER_PHONE)
    alice_code = (await shop.get(code_url(alice))).json()["code"]
    bob_code = (await shop.get(code_url(bob))).json()["code"]

    async def attach(member, code):
        return await shop.post(referrer_url(member), json={"referral_code": code})

    r = await attach(alice, alice_code)
    assert (r.status_code, r.json()["code"], r.json()["reason"]) == (
        409,
        "referral_refused",
        "self_referral",
    )
    r = await attach(bob, "NOPE-NOPE")
    assert (r.status_code, r.json()["reason"]) == (422, "unknown_code")
    assert (await attach(bob, alice_code)).status_code == 201
    assert (await attach(bob, alice_code)).json()["reason"] == "already_referred"
    assert (await attach(alice, bob_code)).json()["reason"] == "loop"

    carol = await new_member(shop, "+8613700137000")
    async with db.uow() as uow:
        await uow.session.execute(
            update(Member)
            .where(Member.merchant_id == shop.merchant_id, Member.id == uuid.UUID(carol))
            .values(created_at=utcnow() - timedelta(hours=25))
        )
        await uow.commit()
    r = await attach(carol, alice_code)
    assert (r.status_code, r.json()["reason"]) == (409, "existing_member")


async def test_another_merchants_members_and_codes_are_out_of_reach(shop, other_tenant):
    alice = await new_member(shop, PHONE)
    theirs = await new_member(other_tenant, OTHER_PHONE)
    assert (await other_tenant.get(code_url(alice))).status_code == 404
    their_code = (await other_tenant.get(code_url(theirs))).json()["code"]
    r = await shop.post(referrer_url(alice), json={"referral_code": their_code})
    assert (r.status_code, r.json()["reason"]) == (422, "unknown_code")
    r = await other_tenant.post(referrer_url(alice), json={"referral_code": their_code})
    assert r.status_code == 404


async def test_store_staff_read_codes_and_attach_referrers_at_sign_up(db, shop):
    await add_location(db, shop.merchant_id, "S1")
    staff = await shop.key_for("store_staff", ["S1"])
    alice, bob = await new_member(shop, PHONE), await new_member(shop, OTHER_PHONE)
    code = (await shop.get(code_url(alice), key=staff)).json()["code"]
    r = await shop.post(referrer_url(bob), json={"referral_code": code}, key=staff)
    assert r.status_code == 201, r.text
