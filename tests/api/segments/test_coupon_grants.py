"""A segment receives a coupon grant: every member in it now gets one coupon, and the grant
is a campaign of its own (kind ``segment_grant``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.integration.segments.conftest import add_member, add_order

NOW = datetime.now(UTC)


async def template(t, **terms):
    body = {"name": "¥10 off", "kind": "fixed_amount", "amount": 1_000, "days_after_grant": 30}
    body.update(terms)
    r = await t.post("/api/v1/coupon-templates", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def lapsed_segment(db, t):
    """Members 1 and 2 lapsed 60 days with more than 500 spent; member 3 is recent."""
    lapsed = []
    for n in (1, 2):
        member = await add_member(db, t, n)
        await add_order(db, t, member, 60_000, NOW - timedelta(days=90))
        lapsed.append(member)
    recent = await add_member(db, t, 3)
    await add_order(db, t, recent, 60_000, NOW - timedelta(days=5))
    r = await t.post(
        "/api/v1/segments",
        json={
            "name": "Lapsed",
            "filters": {"last_order_before_days": 60, "spent_more_than": 50_000},
        },
    )
    assert r.status_code == 201, r.text
    return r.json(), lapsed, recent


async def coupons_of(t, member_id):
    r = await t.get(f"/api/v1/members/{member_id}/coupons")
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_every_member_of_the_segment_gets_a_coupon_in_a_campaign_of_its_own(db, tenant):
    segment, lapsed, recent = await lapsed_segment(db, tenant)
    coupon = await template(tenant, days_after_grant=14)

    r = await tenant.post(
        f"/api/v1/segments/{segment['id']}/coupon-grants",
        json={"template_id": coupon["id"], "name": "Win back", "cost": 20_000},
    )

    assert r.status_code == 201, r.text
    grant = r.json()
    assert (grant["members"], grant["granted"]) == (2, 2)
    for member in lapsed:
        [held] = await coupons_of(tenant, member)
        assert held["template_id"] == coupon["id"]
    assert await coupons_of(tenant, recent) == []
    campaign = (await tenant.get(f"/api/v1/campaigns/{grant['campaign_id']}")).json()
    assert (campaign["kind"], campaign["name"], campaign["cost"]) == (
        "segment_grant",
        "Win back",
        20_000,
    )
    ends = datetime.fromisoformat(campaign["ends_at"])
    assert timedelta(days=13) < ends - NOW < timedelta(days=15)  # as long as the coupons


async def test_a_repeated_grant_skips_members_at_the_templates_limit(db, tenant):
    segment, lapsed, _ = await lapsed_segment(db, tenant)
    coupon = await template(tenant, per_member_limit=1)
    url = f"/api/v1/segments/{segment['id']}/coupon-grants"
    assert (await tenant.post(url, json={"template_id": coupon["id"]})).status_code == 201
    again = await tenant.post(url, json={"template_id": coupon["id"]})
    assert again.status_code == 201, again.text
    assert (again.json()["members"], again.json()["granted"]) == (2, 0)
    for member in lapsed:
        assert len(await coupons_of(tenant, member)) == 1


async def test_the_same_idempotency_key_grants_once(db, tenant):
    segment, lapsed, _ = await lapsed_segment(db, tenant)
    coupon = await template(tenant, per_member_limit=None)
    url = f"/api/v1/segments/{segment['id']}/coupon-grants"
    headers = {"Idempotency-Key": "win-back-1"}
    first = await tenant.post(url, json={"template_id": coupon["id"]}, headers=headers)
    second = await tenant.post(url, json={"template_id": coupon["id"]}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(await coupons_of(tenant, lapsed[0])) == 1


async def test_a_grant_larger_than_the_quota_gives_nothing(db, tenant):
    segment, lapsed, _ = await lapsed_segment(db, tenant)
    coupon = await template(tenant, total_quota=1)
    r = await tenant.post(
        f"/api/v1/segments/{segment['id']}/coupon-grants", json={"template_id": coupon["id"]}
    )
    assert r.status_code == 409 and r.json()["code"] == "coupon_quota_exhausted"
    assert await coupons_of(tenant, lapsed[0]) == []
    campaigns = (await tenant.get("/api/v1/campaigns")).json()["items"]
    assert [c for c in campaigns if c["kind"] == "segment_grant"] == []


async def test_an_empty_segment_or_unknown_template_is_refused(db, tenant):
    r = await tenant.post("/api/v1/segments", json={"name": "Nobody", "filters": {}})
    empty = r.json()
    coupon = await template(tenant)
    r = await tenant.post(
        f"/api/v1/segments/{empty['id']}/coupon-grants", json={"template_id": coupon["id"]}
    )
    assert r.status_code == 409 and r.json()["code"] == "segment_empty"
    await add_member(db, tenant, 1)
    r = await tenant.post(
        f"/api/v1/segments/{empty['id']}/coupon-grants", json={"template_id": str(uuid.uuid4())}
    )
    assert r.status_code == 404 and r.json()["code"] == "coupon_template_not_found"


async def test_another_merchants_segment_or_template_cannot_be_used(db, tenant, other_tenant):
    segment, _, _ = await lapsed_segment(db, tenant)
    mine = await template(tenant)
    theirs = await template(other_tenant)
    url = f"/api/v1/segments/{segment['id']}/coupon-grants"
    r = await other_tenant.post(url, json={"template_id": theirs["id"]})
    assert r.status_code == 404 and r.json()["code"] == "segment_not_found"
    r = await tenant.post(url, json={"template_id": theirs["id"]})
    assert r.status_code == 404 and r.json()["code"] == "coupon_template_not_found"
    assert mine["id"] != theirs["id"]


async def test_a_template_grant_naming_a_segment_reaches_its_members(db, tenant):
    segment, lapsed, recent = await lapsed_segment(db, tenant)
    coupon = await template(tenant)
    r = await tenant.post(  # the app factory registered the segment resolver
        f"/api/v1/coupon-templates/{coupon['id']}/grants", json={"segment_id": segment["id"]}
    )
    assert r.status_code in (200, 201), r.text
    missing = await tenant.post(
        f"/api/v1/coupon-templates/{coupon['id']}/grants",
        json={"segment_id": str(uuid.uuid4())},
    )
    assert missing.status_code == 404 and missing.json()["code"] == "segment_not_found"
    assert {len(await coupons_of(tenant, m)) for m in lapsed} == {1}
    assert await coupons_of(tenant, recent) == []
