"""Saved segments: filters over the members, validated, evaluated on reading, one merchant's
own, and for marketers only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from omniloop.loyalty.models import LoyaltyAccount
from omniloop.members.domain import ActivityKind
from omniloop.members.identity import record_activity_in
from omniloop.segments.rfm import compute_rfm
from tests.api.customer_auth.conftest import sign_in
from tests.integration.segments.conftest import add_member, add_order
from tests.support.factories import add_location

SEGMENTS = "/api/v1/segments"
NOW = datetime.now(UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def create(t, filters, name="Segment", **kwargs):
    r = await t.post(SEGMENTS, json={"name": name, "filters": filters}, **kwargs)
    assert r.status_code == 201, r.text
    return r.json()


async def member_ids(t, segment_id, **params):
    r = await t.get(f"{SEGMENTS}/{segment_id}/members", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == len(body["items"])
    return {uuid.UUID(item["member_id"]) for item in body["items"]}


async def test_lapsed_60_days_and_spent_more_than_500_finds_exactly_those_members(db, tenant):
    lapsed_big = await add_member(db, tenant, 1)
    await add_order(db, tenant, lapsed_big, 30_000, days_ago(200))
    await add_order(db, tenant, lapsed_big, 50_000, days_ago(90))
    just_over = await add_member(db, tenant, 2)
    await add_order(db, tenant, just_over, 50_001, days_ago(61))
    lapsed_small = await add_member(db, tenant, 3)
    await add_order(db, tenant, lapsed_small, 50_000, days_ago(90))  # 500.00 is not > 500
    refunded_down = await add_member(db, tenant, 4)
    await add_order(db, tenant, refunded_down, 80_000, days_ago(90), refunded=40_000)
    recent_big = await add_member(db, tenant, 5)
    await add_order(db, tenant, recent_big, 90_000, days_ago(90))
    await add_order(db, tenant, recent_big, 1_000, days_ago(10))
    never = await add_member(db, tenant, 6)
    cancelled_big = await add_member(db, tenant, 7)
    await add_order(db, tenant, cancelled_big, 90_000, days_ago(90), status="cancelled")

    segment = await create(
        tenant,
        {"last_order_before_days": 60, "spent_more_than": 50_000},
        name="Lapsed big spenders",
    )

    assert segment["filters"] == {"last_order_before_days": 60, "spent_more_than": 50_000}
    assert await member_ids(tenant, segment["id"]) == {lapsed_big, just_over}
    assert never not in {lapsed_small, refunded_down, recent_big, cancelled_big}


async def test_a_segment_is_evaluated_when_read_so_a_new_order_moves_members_out(db, tenant):
    member = await add_member(db, tenant, 1)
    await add_order(db, tenant, member, 60_000, days_ago(70))
    segment = await create(tenant, {"last_order_before_days": 60})
    assert await member_ids(tenant, segment["id"]) == {member}
    await add_order(db, tenant, member, 1_000, days_ago(0.1))
    assert await member_ids(tenant, segment["id"]) == set()


async def test_spent_less_than_includes_members_who_never_bought(db, tenant):
    small, big = await add_member(db, tenant, 1), await add_member(db, tenant, 2)
    never = await add_member(db, tenant, 3)
    await add_order(db, tenant, small, 999, days_ago(3))
    await add_order(db, tenant, big, 1_000, days_ago(3))
    segment = await create(tenant, {"spent_less_than": 1_000})
    assert await member_ids(tenant, segment["id"]) == {small, never}


async def test_recent_and_frequent_buyers(db, tenant):
    frequent, once, old = [await add_member(db, tenant, n) for n in range(3)]
    for days in (1, 5, 20):
        await add_order(db, tenant, frequent, 1_000, days_ago(days))
    await add_order(db, tenant, once, 1_000, days_ago(2))
    await add_order(db, tenant, old, 1_000, days_ago(45))
    await add_order(db, tenant, old, 1_000, days_ago(50))
    await add_order(db, tenant, old, 1_000, days_ago(55))
    recent = await create(tenant, {"last_order_within_days": 30}, name="recent")
    assert await member_ids(tenant, recent["id"]) == {frequent, once}
    loyal = await create(tenant, {"last_order_within_days": 30, "orders_at_least": 3}, name="loyal")
    assert await member_ids(tenant, loyal["id"]) == {frequent}


async def test_acquiring_store_tier_and_channel_filters(db, tenant):
    await add_location(db, tenant.merchant_id, "S1")
    await add_location(db, tenant.merchant_id, "S2")
    at_s1 = await add_member(db, tenant, 1, location="S1")
    at_s2 = await add_member(db, tenant, 2, location="S2", channel="own_app")
    nowhere = await add_member(db, tenant, 3)
    await add_order(db, tenant, nowhere, 1_000, days_ago(1), channel="meituan")
    r = await tenant.post(
        f"/api/v1/members/{at_s1}/points/adjustments", json={"points": 1, "reason": "test"}
    )
    assert r.status_code in (200, 201), r.text
    async with db.uow() as uow:
        account = await uow.session.get(LoyaltyAccount, (tenant.merchant_id, at_s1))
        account.tier = "gold"
        await uow.commit()

    by_store = await create(tenant, {"acquired_locations": ["S1", "S2"]}, name="stores")
    assert await member_ids(tenant, by_store["id"]) == {at_s1, at_s2}
    gold = await create(tenant, {"tiers": ["gold"]}, name="gold")
    assert await member_ids(tenant, gold["id"]) == {at_s1}
    first_tier = await create(tenant, {"tiers": ["normal"]}, name="normal")
    assert await member_ids(tenant, first_tier["id"]) == {at_s2, nowhere}
    app_or_meituan = await create(tenant, {"channels": ["own_app", "meituan"]}, name="online")
    assert await member_ids(tenant, app_or_meituan["id"]) == {at_s2, nowhere}


async def test_a_channel_seen_by_a_record_merged_into_the_member_counts(db, tenant):
    survivor, absorbed = await add_member(db, tenant, 1), await add_member(db, tenant, 2)
    async with db.uow() as uow:
        record_activity_in(
            uow.session,
            merchant_id=tenant.merchant_id,
            member_id=absorbed,
            kind=ActivityKind.SCANNED,
            channel="mini_program",
        )
        await uow.commit()
    r = await tenant.post(f"/api/v1/members/{survivor}/merge", json={"other_id": str(absorbed)})
    assert r.status_code == 200, r.text
    segment = await create(tenant, {"channels": ["mini_program"]})
    assert await member_ids(tenant, segment["id"]) == {survivor}


async def test_rfm_filters_read_the_last_computed_scores(db, tenant):
    members = [await add_member(db, tenant, n) for n in range(5)]
    for n, member in enumerate(members):
        await add_order(db, tenant, member, 1_000 * (n + 1), days_ago(50 - n * 10))
    never = await add_member(db, tenant, 9)
    segment = await create(tenant, {"rfm": {"m_min": 4}})
    assert await member_ids(tenant, segment["id"]) == set()  # nothing computed yet
    await compute_rfm(db=db, merchant_id=tenant.merchant_id)
    assert await member_ids(tenant, segment["id"]) == set(members[3:])
    champions = await create(tenant, {"rfm": {"r_min": 5, "m_min": 5}}, name="champions")
    assert await member_ids(tenant, champions["id"]) == {members[4]}
    low = await create(tenant, {"rfm": {"r_max": 1}}, name="low")
    assert await member_ids(tenant, low["id"]) == {members[0]}
    assert never not in await member_ids(tenant, low["id"])


async def test_members_come_in_pages_with_the_total_count(db, tenant):
    members = {await add_member(db, tenant, n) for n in range(7)}
    segment = await create(tenant, {})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        r = await tenant.get(f"{SEGMENTS}/{segment['id']}/members", params=params)
        body = r.json()
        assert body["count"] == 7
        seen += [item["member_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and {uuid.UUID(s) for s in seen} == members
    first = (await tenant.get(f"{SEGMENTS}/{segment['id']}/members")).json()["items"][0]
    assert set(first) >= {"member_id", "phone", "tier", "orders", "spent", "r_score"}
    assert first["phone"].startswith("+86138") and first["tier"] == "normal"


async def test_a_broken_cursor_is_refused(tenant):
    segment = await create(tenant, {})
    r = await tenant.get(f"{SEGMENTS}/{segment['id']}/members", params={"cursor": "nonsense"})
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"last_order_before_days": 60, "last_order_within_days": 30}, "last_order_within_days"),
        ({"spent_more_than": 500, "spent_less_than": 501}, "spent_less_than"),
        ({"rfm": {"r_min": 4, "r_max": 2}}, "rfm.r_max"),
        ({"channels": ["Not A Channel"]}, "channels"),
        ({"tiers": ["diamond"]}, "tiers"),
        ({"acquired_locations": ["NOWHERE"]}, "acquired_locations"),
    ],
)
async def test_filters_that_can_match_nobody_or_name_unknown_things_are_refused(
    tenant, filters, field
):
    r = await tenant.post(SEGMENTS, json={"name": "Bad", "filters": filters})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_segment_filters"
    assert r.json()["errors"][0]["field"] == f"filters.{field}"


@pytest.mark.parametrize(
    "filters",
    [
        {"spent_more_than": -1},
        {"rfm": {"r_min": 6}},
        {"last_order_before_days": 0},
        {"orders_at_least": 0},
        {"favourite_colour": "red"},
    ],
)
async def test_filters_out_of_range_or_unknown_are_422(tenant, filters):
    r = await tenant.post(SEGMENTS, json={"name": "Bad", "filters": filters})
    assert r.status_code == 422, r.text


async def test_a_segment_is_renamed_refiltered_listed_and_deleted(db, tenant):
    member = await add_member(db, tenant, 1)
    await add_order(db, tenant, member, 5_000, days_ago(1))
    segment = await create(tenant, {"spent_more_than": 10_000}, name="Big")
    other = await create(tenant, {}, name="Everyone")
    url = f"{SEGMENTS}/{segment['id']}"

    r = await tenant.patch(url, json={"name": "Not so big", "filters": {"spent_more_than": 1}})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Not so big"
    assert r.json()["filters"] == {"spent_more_than": 1}
    assert await member_ids(tenant, segment["id"]) == {member}
    r = await tenant.patch(url, json={"name": "Everyone"})
    assert r.status_code == 409 and r.json()["code"] == "segment_name_taken"

    listed = (await tenant.get(SEGMENTS)).json()["items"]
    assert [s["id"] for s in listed] == [other["id"], segment["id"]]
    assert (await tenant.delete(url)).status_code == 204
    assert (await tenant.get(url)).status_code == 404
    assert (await tenant.get(f"{url}/members")).status_code == 404


async def test_two_segments_cannot_share_a_name(tenant):
    await create(tenant, {}, name="VIP")
    r = await tenant.post(SEGMENTS, json={"name": "VIP", "filters": {}})
    assert r.status_code == 409 and r.json()["code"] == "segment_name_taken"


async def test_another_merchants_segments_and_members_are_out_of_reach(db, tenant, other_tenant):
    theirs = await add_member(db, other_tenant, 1)
    await add_order(db, other_tenant, theirs, 90_000, days_ago(1))
    mine = await create(tenant, {"spent_more_than": 1})
    assert await member_ids(tenant, mine["id"]) == set()
    url = f"{SEGMENTS}/{mine['id']}"
    for method, path in (("GET", url), ("GET", f"{url}/members"), ("DELETE", url)):
        r = await other_tenant.request(method, path)
        assert r.status_code == 404, (method, path)
        assert r.json()["code"] == "segment_not_found"
    r = await other_tenant.patch(url, json={"name": "Mine now"})
    assert r.status_code == 404
    assert (await other_tenant.get(SEGMENTS)).json()["items"] == []


async def test_only_marketers_reach_segments(db, tenant):
    await add_location(db, tenant.merchant_id, "S1")
    staff = await tenant.key_for("store_staff", ["S1"])
    segment = await create(tenant, {})
    for method, path in (
        ("GET", SEGMENTS),
        ("POST", SEGMENTS),
        ("GET", f"{SEGMENTS}/{segment['id']}/members"),
        ("POST", "/api/v1/rfm/recompute"),
    ):
        r = await tenant.request(method, path, key=staff, json={"name": "x"})
        assert r.status_code == 403, (method, path, r.text)
    customer = (await sign_in(tenant))["access_token"]
    for key in (staff, customer):
        r = await tenant.get(f"{SEGMENTS}/{segment['id']}", key=key)
        assert r.status_code == 403
    for role in ("operator", "integrator"):
        key = await tenant.key_for(role)
        assert (await tenant.get(SEGMENTS, key=key)).status_code == 200
        await create(tenant, {}, name=f"by {role}", key=key)
