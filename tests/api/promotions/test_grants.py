"""Giving coupons out: grants by marketers, claims by members, and a member's coupons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from omniloop.promotions.grants import segment_members
from omniloop.promotions.rules import CODE_ALPHABET
from omniloop.segments.service import members_of_segment_in
from tests.api.promotions.conftest import (
    OTHER_PHONE,
    TEMPLATES,
    age_coupon,
    claims_url,
    coupons_url,
    customer,
    grant_one,
    grants_url,
    new_member,
    new_template,
)
from tests.support.events import events_of


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def template_of(t, template_id):
    return (await t.get(f"{TEMPLATES}/{template_id}")).json()


async def test_a_granted_coupon_has_a_code_and_is_valid_for_its_days(shop, db):
    made = await new_template(shop, days_after_grant=7)
    member = await new_member(shop)
    coupon = await grant_one(shop, made["id"], member)
    assert len(coupon["code"]) == 12 and set(coupon["code"]) <= set(CODE_ALPHABET)
    assert coupon["status"] == "available" and coupon["granted_via"] == "grant"
    assert coupon["member_id"] == member and coupon["amount"] == 500
    validity = parse(coupon["valid_until"]) - parse(coupon["valid_from"])
    assert validity == timedelta(days=7)
    assert (await template_of(shop, made["id"]))["issued"] == 1
    (event,) = await events_of(db, shop, "coupon.granted")
    assert event["template_id"] == made["id"] and event["via"] == "grant"
    assert [c["code"] for c in event["coupons"]] == [coupon["code"]]


async def test_a_window_template_gives_coupons_valid_for_its_window(shop):
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    ends = starts + timedelta(days=10)
    made = await new_template(
        shop, days_after_grant=None, starts_at=starts.isoformat(), ends_at=ends.isoformat()
    )
    coupon = await grant_one(shop, made["id"], await new_member(shop))
    assert (parse(coupon["valid_from"]), parse(coupon["valid_until"])) == (starts, ends)


async def test_a_list_grant_skips_members_at_their_limit(shop):
    made = await new_template(shop, per_member_limit=1)
    a, b = await new_member(shop), await new_member(shop, OTHER_PHONE)
    await grant_one(shop, made["id"], a)
    r = await shop.post(grants_url(made["id"]), json={"member_ids": [a, b, b]})
    assert r.status_code == 201, r.text
    assert r.json()["granted"] == 1 and r.json()["skipped_member_ids"] == [a]
    assert [c["member_id"] for c in r.json()["coupons"]] == [b]
    assert (await template_of(shop, made["id"]))["issued"] == 2


async def test_a_grant_beyond_the_quota_gives_nothing(shop):
    made = await new_template(shop, total_quota=1)
    a, b = await new_member(shop), await new_member(shop, OTHER_PHONE)
    r = await shop.post(grants_url(made["id"]), json={"member_ids": [a, b]})
    assert r.status_code == 409 and r.json()["code"] == "coupon_quota_exhausted"
    assert r.json()["remaining"] == 1
    assert (await template_of(shop, made["id"]))["issued"] == 0
    assert (await shop.get(coupons_url(a))).json()["items"] == []
    await grant_one(shop, made["id"], a)
    r = await shop.post(grants_url(made["id"]), json={"member_id": b})
    assert r.status_code == 409 and r.json()["remaining"] == 0


async def test_a_grant_names_one_member_a_list_or_a_segment(shop):
    made = await new_template(shop)
    member = await new_member(shop)
    for body in ({}, {"member_id": member, "member_ids": [member]}):
        r = await shop.post(grants_url(made["id"]), json=body)
        assert r.status_code == 422, r.text


async def test_a_grant_to_an_unknown_member_gives_nobody_anything(shop):
    made = await new_template(shop)
    member = await new_member(shop)
    r = await shop.post(grants_url(made["id"]), json={"member_ids": [member, str(uuid.uuid4())]})
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
    assert (await template_of(shop, made["id"]))["issued"] == 0


async def test_a_segment_grant_goes_to_the_members_the_segment_lists(shop):
    made = await new_template(shop)
    members = [await new_member(shop), await new_member(shop, OTHER_PHONE)]
    segment = uuid.uuid4()

    async def resolve(session, merchant_id, segment_id):
        assert (merchant_id, segment_id) == (shop.merchant_id, segment)
        return [uuid.UUID(m) for m in members]

    segment_members.register(resolve)
    try:
        r = await shop.post(grants_url(made["id"]), json={"segment_id": str(segment)})
    finally:
        segment_members.register(members_of_segment_in)  # as the app factory has it
    assert r.status_code == 201, r.text
    assert r.json()["granted"] == 2
    assert {c["granted_via"] for c in r.json()["coupons"]} == {"segment"}


async def test_a_grant_to_an_unknown_segment_is_not_found(shop):
    made = await new_template(shop)
    r = await shop.post(grants_url(made["id"]), json={"segment_id": str(uuid.uuid4())})
    assert r.status_code == 404 and r.json()["code"] == "segment_not_found", r.text


async def test_a_closed_template_gives_nothing(shop):
    made = await new_template(shop, active=False)
    r = await shop.post(grants_url(made["id"]), json={"member_id": await new_member(shop)})
    assert r.status_code == 409 and r.json()["code"] == "coupon_template_closed"


async def test_a_repeated_grant_with_its_idempotency_key_replays(shop):
    made = await new_template(shop, per_member_limit=None)
    member = await new_member(shop)
    headers = {"Idempotency-Key": "grant-1"}
    first = await shop.post(grants_url(made["id"]), json={"member_id": member}, headers=headers)
    again = await shop.post(grants_url(made["id"]), json={"member_id": member}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert (await template_of(shop, made["id"]))["issued"] == 1


async def test_a_grant_belongs_to_the_campaign_named_or_the_templates(shop):
    campaign, other = str(uuid.uuid4()), str(uuid.uuid4())
    made = await new_template(shop, campaign_id=campaign, per_member_limit=None)
    member = await new_member(shop)
    assert (await grant_one(shop, made["id"], member))["campaign_id"] == campaign
    r = await shop.post(grants_url(made["id"]), json={"member_id": member, "campaign_id": other})
    assert r.json()["coupons"][0]["campaign_id"] == other


async def test_only_marketers_grant(shop):
    made = await new_template(shop)
    member = await new_member(shop)
    staff = await shop.key_for("store_staff", ["S1"])
    r = await shop.post(grants_url(made["id"]), key=staff, json={"member_id": member})
    assert r.status_code == 403
    _, token = await customer(shop)
    r = await shop.post(grants_url(made["id"]), key=token, json={"member_id": member})
    assert r.status_code == 403


async def test_another_merchants_template_or_member_is_not_found(shop, other_tenant):
    made = await new_template(shop)
    member = await new_member(shop)
    r = await other_tenant.post(grants_url(made["id"]), json={"member_id": member})
    assert r.status_code == 404 and r.json()["code"] == "coupon_template_not_found"
    theirs = await new_template(other_tenant)
    r = await other_tenant.post(grants_url(theirs["id"]), json={"member_id": member})
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"


# --------------------------------------------------------------------------- claims


async def test_a_customer_claims_a_claimable_coupon_for_themselves_once(shop, db):
    made = await new_template(shop, claimable=True, per_member_limit=1)
    me, token = await customer(shop)
    r = await shop.post(claims_url(made["id"]), key=token, json={})
    assert r.status_code == 201, r.text
    assert r.json()["member_id"] == me and r.json()["granted_via"] == "claim"
    (event,) = await events_of(db, shop, "coupon.claimed")
    assert event["coupons"][0]["member_id"] == me
    again = await shop.post(claims_url(made["id"]), key=token, json={"member_id": me})
    assert again.status_code == 409 and again.json()["code"] == "coupon_limit_reached"


async def test_a_customer_cannot_claim_for_someone_else(shop):
    made = await new_template(shop, claimable=True)
    _, token = await customer(shop)
    someone = await new_member(shop, OTHER_PHONE)
    r = await shop.post(claims_url(made["id"]), key=token, json={"member_id": someone})
    assert r.status_code == 403
    assert (await template_of(shop, made["id"]))["issued"] == 0


async def test_only_claimable_templates_can_be_claimed(shop):
    made = await new_template(shop)
    _, token = await customer(shop)
    r = await shop.post(claims_url(made["id"]), key=token, json={})
    assert r.status_code == 403 and r.json()["code"] == "coupon_not_claimable"


async def test_a_marketer_claims_for_a_member_but_store_staff_do_not(shop):
    made = await new_template(shop, claimable=True)
    member = await new_member(shop)
    staff = await shop.key_for("store_staff", ["S1"])
    r = await shop.post(claims_url(made["id"]), key=staff, json={"member_id": member})
    assert r.status_code == 403
    r = await shop.post(claims_url(made["id"]), json={})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "member_id"
    r = await shop.post(claims_url(made["id"]), json={"member_id": member})
    assert r.status_code == 201 and r.json()["member_id"] == member


async def test_a_claim_past_the_quota_is_refused(shop):
    made = await new_template(shop, claimable=True, total_quota=1)
    await grant_one(shop, made["id"], await new_member(shop))
    _, token = await customer(shop, OTHER_PHONE)
    r = await shop.post(claims_url(made["id"]), key=token, json={})
    assert r.status_code == 409 and r.json()["code"] == "coupon_quota_exhausted"


# --------------------------------------------------------------------------- a member's coupons


async def test_a_member_sees_their_coupons_newest_first_with_their_status(shop, db):
    first = await new_template(shop, name="first")
    second = await new_template(shop, name="second")
    me, token = await customer(shop)
    old = await grant_one(shop, first["id"], me)
    new = await grant_one(shop, second["id"], me)
    r = await shop.get(coupons_url(me), key=token)
    assert r.status_code == 200, r.text
    assert [c["code"] for c in r.json()["items"]] == [new["code"], old["code"]]
    await age_coupon(db, shop, old["code"])
    items = (await shop.get(coupons_url(me), key=token)).json()["items"]
    assert [c["status"] for c in items] == ["available", "expired"]
    r = await shop.get(coupons_url(me), key=token, params={"status": "available"})
    assert [c["code"] for c in r.json()["items"]] == [new["code"]]
    r = await shop.get(coupons_url(me), key=token, params={"status": "expired"})
    assert [c["code"] for c in r.json()["items"]] == [old["code"]]


async def test_a_members_coupons_come_a_page_at_a_time(shop):
    made = await new_template(shop, per_member_limit=None)
    member = await new_member(shop)
    codes = [(await grant_one(shop, made["id"], member))["code"] for _ in range(3)]
    page = (await shop.get(coupons_url(member), params={"limit": 2})).json()
    rest = (await shop.get(coupons_url(member), params={"cursor": page["next_cursor"]})).json()
    seen = [c["code"] for c in page["items"] + rest["items"]]
    assert sorted(seen) == sorted(codes) and len(seen) == 3 and rest["next_cursor"] is None


async def test_members_coupons_are_theirs_and_staffs_only(shop, other_tenant):
    me, token = await customer(shop)
    someone = await new_member(shop, OTHER_PHONE)
    assert (await shop.get(coupons_url(someone), key=token)).status_code == 403
    staff = await shop.key_for("store_staff", ["S1"])
    assert (await shop.get(coupons_url(me), key=staff)).status_code == 200
    r = await other_tenant.get(coupons_url(me))
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
