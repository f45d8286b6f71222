"""Marketers recompute RFM on demand and read any member's; staff and customers do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.customer_auth.conftest import sign_in
from tests.integration.segments.conftest import add_member, add_order
from tests.support.factories import add_location

RECOMPUTE = "/api/v1/rfm/recompute"


def rfm_url(member_id) -> str:
    return f"/api/v1/members/{member_id}/rfm"


async def test_recomputing_scores_every_buyer_and_shows_it_per_member(db, tenant):
    now = datetime.now(UTC)
    buyer, other_buyer = await add_member(db, tenant, 1), await add_member(db, tenant, 2)
    never = await add_member(db, tenant, 3)
    await add_order(db, tenant, buyer, 12_000, now - timedelta(days=3, hours=1))
    await add_order(db, tenant, buyer, 8_000, now - timedelta(days=30))
    await add_order(db, tenant, other_buyer, 100, now - timedelta(days=90))

    before = (await tenant.get(rfm_url(buyer))).json()
    assert (before["frequency"], before["r_score"], before["computed_at"]) == (0, None, None)

    r = await tenant.post(RECOMPUTE)
    assert r.status_code == 200, r.text
    assert r.json()["buyers"] == 2

    r = await tenant.get(rfm_url(buyer))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["recency_days"], body["frequency"], body["monetary"]) == (3, 2, 20_000)
    assert (body["r_score"], body["f_score"], body["m_score"]) == (3, 3, 3)
    assert body["computed_at"] is not None
    low = (await tenant.get(rfm_url(other_buyer))).json()
    assert (low["r_score"], low["f_score"], low["m_score"]) == (1, 1, 1)
    none = (await tenant.get(rfm_url(never))).json()
    assert none == {
        "member_id": str(never),
        "recency_days": None,
        "frequency": 0,
        "monetary": 0,
        "last_order_at": None,
        "r_score": None,
        "f_score": None,
        "m_score": None,
        "computed_at": None,
    }


async def test_another_merchants_member_has_no_rfm_here(db, tenant, other_tenant):
    theirs = await add_member(db, other_tenant, 1)
    r = await tenant.get(rfm_url(theirs))
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"


async def test_staff_and_customers_neither_read_nor_recompute_rfm(db, tenant):
    await add_location(db, tenant.merchant_id, "S1")
    customer = await sign_in(tenant)
    for key in (await tenant.key_for("store_staff", ["S1"]), customer["access_token"]):
        assert (await tenant.get(rfm_url(customer["member_id"]), key=key)).status_code == 403
        assert (await tenant.post(RECOMPUTE, key=key)).status_code == 403
