"""``POST /api/v1/members/{id}/points/adjustments``: operators grant or take points with a
reason; never below zero; safe to repeat with an Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from omniloop.loyalty.domain import DEFAULT_PROGRAM, points_expiry
from tests.api.customer_auth.conftest import sign_in
from tests.api.loyalty.conftest import adjustments_url, new_member, points_url, staff_key
from tests.support.events import events_of


async def adjust(t, member, points, *, reason="goodwill", key=None, idem=None):
    headers = {"Idempotency-Key": idem} if idem else None
    return await t.post(
        adjustments_url(member),
        json={"points": points, "reason": reason},
        key=key,
        headers=headers,
    )


async def test_a_grant_adds_points_that_expire_like_earned_ones(db, tenant):
    member = await new_member(tenant)
    r = await adjust(tenant, member, 500, reason="store opening gift")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["member_id"], body["balance"]) == (member, 500)
    entry = body["entry"]
    assert (entry["kind"], entry["points"], entry["balance_after"]) == ("adjust", 500, 500)
    assert entry["detail"] == {"reason": "store opening gift"}
    # the default program: the end of next year, Shanghai time
    expected = points_expiry(DEFAULT_PROGRAM, datetime.now(UTC), "Asia/Shanghai")
    assert datetime.fromisoformat(entry["expires_at"]) == expected
    events = await events_of(db, tenant, "points.adjusted")
    assert events == [
        {
            "member_id": member,
            "points": 500,
            "balance": 500,
            "reason": "store opening gift",
            "actor": events[0]["actor"],
        }
    ]


async def test_taking_points_never_goes_below_zero(tenant):
    member = await new_member(tenant)
    await adjust(tenant, member, 300)
    r = await adjust(tenant, member, -200, reason="duplicate grant")
    assert r.status_code == 201, r.text
    assert r.json()["balance"] == 100
    r = await adjust(tenant, member, -101)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "insufficient_points"
    assert (await tenant.get(points_url(member))).json()["balance"] == 100


@pytest.mark.parametrize(
    "body", [{"points": 0, "reason": "x"}, {"points": 5, "reason": " "}, {"points": 5}]
)
async def test_an_adjustment_needs_points_and_a_reason(tenant, body):
    member = await new_member(tenant)
    r = await tenant.post(adjustments_url(member), json=body)
    assert r.status_code == 422, r.text


async def test_repeating_with_the_same_key_adjusts_once(tenant):
    member = await new_member(tenant)
    first = await adjust(tenant, member, 50, idem="adj-1")
    again = await adjust(tenant, member, 50, idem="adj-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert (await tenant.get(points_url(member))).json()["balance"] == 50
    other = await adjust(tenant, member, 60, idem="adj-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


async def test_a_refused_adjustment_does_not_use_up_its_key(tenant):
    member = await new_member(tenant)
    assert (await adjust(tenant, member, -10, idem="adj-2")).status_code == 409
    await adjust(tenant, member, 10)
    assert (await adjust(tenant, member, -10, idem="adj-2")).status_code == 201


@pytest.mark.parametrize(
    ("role", "status"), [("operator", 201), ("integrator", 403), ("store_staff", 403)]
)
async def test_only_owners_and_operators_adjust_points(db, tenant, role, status):
    member = await new_member(tenant)
    key = await staff_key(db, tenant, role)
    assert (await adjust(tenant, member, 5, key=key)).status_code == status


async def test_customers_cannot_adjust_even_their_own_points(tenant):
    me = await sign_in(tenant)
    r = await adjust(tenant, me["member_id"], 1_000, key=me["access_token"])
    assert r.status_code == 403


async def test_another_merchants_member_is_not_found(tenant, other_tenant):
    theirs = await new_member(other_tenant)
    r = await adjust(tenant, theirs, 5)
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
