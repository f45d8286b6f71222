"""A member's points and wallet statements: balances, what expires next, entries newest
first in pages; who may read them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.customer_auth.conftest import sign_in
from tests.api.loyalty.conftest import (
    OTHER_PHONE,
    grant_points,
    grant_wallet,
    new_member,
    points_url,
    staff_key,
    wallet_url,
)


async def test_points_statement_shows_balance_and_entries_newest_first(db, tenant):
    member = await new_member(tenant)
    for points in (10, 20, 30):
        await grant_points(db, tenant, member, points)
    r = await tenant.get(points_url(member))
    assert r.status_code == 200, r.text
    statement = r.json()
    assert (statement["member_id"], statement["balance"]) == (member, 60)
    assert [e["points"] for e in statement["items"]] == [30, 20, 10]
    assert [e["balance_after"] for e in statement["items"]] == [60, 30, 10]
    assert statement["items"][0]["kind"] == "earn"
    assert statement["next_cursor"] is None


async def test_entries_come_in_pages(db, tenant):
    member = await new_member(tenant)
    for points in range(1, 6):
        await grant_points(db, tenant, member, points)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await tenant.get(points_url(member), params=params)).json()
        seen += [e["points"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1]
    r = await tenant.get(points_url(member), params={"cursor": "not-ours"})
    assert r.status_code == 422


async def test_the_soonest_expiring_points_are_listed_by_date(db, tenant):
    member = await new_member(tenant)
    soon = datetime.now(UTC) + timedelta(days=30)
    later = datetime.now(UTC) + timedelta(days=400)
    await grant_points(db, tenant, member, 100, expires_at=soon)
    await grant_points(db, tenant, member, 40, expires_at=later)
    await grant_points(db, tenant, member, 10, expires_at=later)
    await grant_points(db, tenant, member, 5)  # never expires
    expiring = (await tenant.get(points_url(member))).json()["expiring"]
    assert [e["points"] for e in expiring] == [100, 50]
    assert datetime.fromisoformat(expiring[0]["expires_at"]) == soon.replace(
        microsecond=soon.microsecond
    )
    r = await tenant.post(
        f"/api/v1/members/{member}/points/adjustments", json={"points": -120, "reason": "test"}
    )
    assert r.status_code == 201, r.text
    statement = (await tenant.get(points_url(member))).json()
    assert statement["balance"] == 35
    assert [e["points"] for e in statement["expiring"]] == [30]  # the soonest went first


async def test_wallet_statement_keeps_principal_and_bonus_apart(db, tenant):
    member = await new_member(tenant)
    await grant_wallet(db, tenant, member, 50_000, 5_000)
    await grant_wallet(db, tenant, member, -1_000, -100)
    r = await tenant.get(wallet_url(member))
    assert r.status_code == 200, r.text
    wallet = r.json()
    assert (wallet["principal"], wallet["bonus"], wallet["total"]) == (49_000, 4_900, 53_900)
    assert wallet["currency"] == "CNY"
    newest = wallet["items"][0]
    assert (newest["principal"], newest["bonus"], newest["amount"]) == (-1_000, -100, -1_100)
    assert (newest["principal_after"], newest["bonus_after"]) == (49_000, 4_900)
    assert [e["kind"] for e in wallet["items"]] == ["top_up", "top_up"]


async def test_a_member_without_any_entries_has_empty_statements(tenant):
    member = await new_member(tenant)
    points = (await tenant.get(points_url(member))).json()
    wallet = (await tenant.get(wallet_url(member))).json()
    assert (points["balance"], points["items"], points["expiring"]) == (0, [], [])
    assert (wallet["total"], wallet["items"]) == (0, [])


async def test_a_merged_members_statement_is_the_survivors(db, tenant):
    survivor = await new_member(tenant)
    absorbed = await new_member(tenant, OTHER_PHONE)
    await grant_points(db, tenant, absorbed, 70)
    await grant_points(db, tenant, survivor, 30)
    r = await tenant.post(f"/api/v1/members/{survivor}/merge", json={"other_id": absorbed})
    assert r.status_code == 200, r.text
    statement = (await tenant.get(points_url(absorbed))).json()
    assert (statement["member_id"], statement["balance"]) == (survivor, 100)


async def test_unknown_and_other_merchants_members_are_404(tenant, other_tenant):
    theirs = await new_member(other_tenant)
    for url in (points_url(theirs), wallet_url(theirs), points_url(str(uuid.uuid4()))):
        r = await tenant.get(url)
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "member_not_found"


@pytest.mark.parametrize("role", ["operator", "integrator", "store_staff"])
async def test_staff_read_members_statements(db, tenant, role):
    member = await new_member(tenant)
    key = await staff_key(db, tenant, role)
    assert (await tenant.get(points_url(member), key=key)).status_code == 200
    assert (await tenant.get(wallet_url(member), key=key)).status_code == 200


async def test_a_customer_reads_their_own_statements_and_nobody_elses(db, tenant):
    me = await sign_in(tenant)
    await grant_points(db, tenant, me["member_id"], 42)
    someone = await new_member(tenant, OTHER_PHONE)
    token = me["access_token"]
    r = await tenant.get(points_url(me["member_id"]), key=token)
    assert r.status_code == 200, r.text
    assert r.json()["balance"] == 42
    assert (await tenant.get(wallet_url(me["member_id"]), key=token)).status_code == 200
    for url in (points_url(someone), wallet_url(someone), points_url(str(uuid.uuid4()))):
        r = await tenant.get(url, key=token)
        assert r.status_code == 403, r.text
