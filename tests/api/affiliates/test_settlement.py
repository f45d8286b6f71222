"""An affiliate's codes bring orders; the month's settlement nets refunds and applies rates."""

from datetime import UTC, datetime, timedelta

from tests.support.factories import add_location, add_skus


async def _setup(db, t):
    await add_location(db, t.merchant_id, "S1")
    await add_skus(db, t.merchant_id, ["TEA"], price=1500)
    assert (await t.put("/api/v1/inventory/S1/TEA", json={"on_hand": 100})).status_code == 200
    now = datetime.now(UTC)
    campaign = (
        await t.post(
            "/api/v1/campaigns",
            json={
                "name": "Influencers",
                "starts_at": (now - timedelta(days=1)).isoformat(),
                "ends_at": (now + timedelta(days=30)).isoformat(),
            },
        )
    ).json()
    r = await t.post(
        "/api/v1/affiliates",
        json={"name": "小红", "kind": "influencer", "default_rate_bp": 1000},
    )
    assert r.status_code == 201, r.text
    affiliate = r.json()
    r = await t.post(
        f"/api/v1/affiliates/{affiliate['id']}/tracking-codes",
        json={"campaign_id": campaign["id"], "landing": {"type": "store", "value": "S1"}},
    )
    assert r.status_code == 201, r.text
    return affiliate, r.json()["code"]


def _pos(code=None, qty=2):
    return {
        "channel": "pos",
        "lines": [{"sku": "TEA", "qty": qty}],
        "fulfillment": {"type": "dine_in", "location": "S1"},
        **({"tracking_code": code} if code else {}),
    }


async def test_a_months_settlement_lists_the_affiliates_orders_with_refunds_netted(
    db, tenant, other_tenant
):
    affiliate, code = await _setup(db, tenant)
    mine = (await tenant.post("/api/v1/orders", json=_pos(code))).json()  # 3000
    other = (await tenant.post("/api/v1/orders", json=_pos(code, qty=1))).json()  # 1500
    await tenant.post("/api/v1/orders", json=_pos())  # not the affiliate's
    from omniloop.orders.lifecycle import apply_refund
    from omniloop.orders.views import load_order

    async with db.uow() as uow:
        order = await load_order(
            uow.session, tenant.merchant_id, __import__("uuid").UUID(mine["id"])
        )
        await apply_refund(
            uow, order, amount=1000, line_qtys=None, restock=False, actor="t", reason=None
        )
        await uow.commit()
    period = (
        datetime.now(UTC)
        .astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
        .strftime("%Y-%m")
    )
    r = await tenant.get(
        f"/api/v1/affiliates/{affiliate['id']}/settlement", params={"period": period}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert {o["order_id"] for o in body["orders"]} == {mine["id"], other["id"]}
    assert (body["paid"], body["refunded"], body["net"]) == (4500, 1000, 3500)
    assert body["commission_due"] == 350  # 10% of the net
    assert (
        await tenant.get(
            f"/api/v1/affiliates/{affiliate['id']}/settlement", params={"period": "1999-01"}
        )
    ).json()["orders"] == []
    r = await tenant.get(
        f"/api/v1/affiliates/{affiliate['id']}/settlement", params={"period": "2026-1x"}
    )
    assert r.status_code == 422
    r = await other_tenant.get(
        f"/api/v1/affiliates/{affiliate['id']}/settlement", params={"period": period}
    )
    assert r.status_code == 404
    staff = await tenant.key_for("store_staff", ["S1"])
    r = await tenant.get(
        f"/api/v1/affiliates/{affiliate['id']}/settlement", params={"period": period}, key=staff
    )
    assert r.status_code == 403
