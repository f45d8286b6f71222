"""Completed orders earn points; refunds take back the share the refunded money earned."""

from tests.api.tenders.conftest import balances, complete, grant, place


async def test_a_completed_order_earns_points_on_the_money_paid(db, shop):
    order = await place(shop, channel="pos")  # POS orders arrive paid (3000 at the till)
    assert order["status"] == "paid"
    assert (await balances(shop))[0] == 0  # nothing until it completes
    await complete(shop, order["id"])
    assert (await balances(shop))[0] == 30  # 1 point per ¥1
    points = (await shop.get(f"/api/v1/members/{shop.member_id}/points")).json()
    assert points["items"][0]["kind"] == "earn"
    assert points["items"][0]["expires_at"] is not None


async def test_points_paid_with_points_earn_nothing(db, shop):
    await grant(db, shop, points=1000)
    order = await place(shop, channel="pos", tenders={"points": 1000})
    await complete(shop, order["id"])
    assert (await balances(shop))[0] == 20  # 2000 of money earns 20; the points part earns 0


async def test_a_refund_after_completion_reverses_points_in_proportion(db, shop):
    order = await place(shop, channel="pos", lines=[{"sku": "TEA", "qty": 4}])  # 6000
    await complete(shop, order["id"])
    assert (await balances(shop))[0] == 60
    # POS money is refunded at the till, which the platform books as an external refund.
    from omniloop.orders.lifecycle import apply_refund
    from omniloop.orders.views import load_order

    async with db.uow() as uow:
        o = await load_order(uow.session, shop.merchant_id, __import__("uuid").UUID(order["id"]))
        await apply_refund(
            uow, o, amount=1500, line_qtys=None, restock=False, actor="test", reason=None
        )
        await uow.commit()
    assert (await balances(shop))[0] == 45
    member = (await shop.get(f"/api/v1/members/{shop.member_id}")).json()
    assert member["lifetime_net_spend"] == 4500


async def test_spending_past_a_threshold_moves_the_member_up_a_tier_and_earns_more(db, shop):
    big = await place(shop, channel="pos", lines=[{"sku": "TEA", "qty": 70}])  # ¥1,050
    assert big["total"] == 105_000
    member = (await shop.get(f"/api/v1/members/{shop.member_id}")).json()
    assert member["tier"] == "silver"  # 银卡 from ¥1,000 over 12 months
    await complete(shop, big["id"])
    assert (await balances(shop))[0] == 1050 * 110 // 100  # silver earns x1.1


async def test_a_tier_with_a_member_discount_prices_the_members_orders_lower(shop):
    program = (await shop.get("/api/v1/loyalty-program")).json()
    program["tiers"][0]["discount_percent"] = 10
    body = {
        k: program[k]
        for k in program
        if k not in ("version", "is_default", "updated_at", "updated_by")
    }
    r = await shop.put("/api/v1/loyalty-program", json=body)
    assert r.status_code == 200, r.text
    order = await place(shop)  # 2 x TEA at 15.00
    assert order["subtotal"] == 3000 and order["discount_total"] == 300 and order["total"] == 2700
    assert {ln["price_rule"] for ln in order["lines"]} == {"tier:normal"}
    r = await shop.post(
        "/api/v1/orders",
        json={
            "channel": "own_app",
            "lines": [{"sku": "TEA", "qty": 2}],
            "fulfillment": {"type": "pickup", "location": "S1"},
        },
    )
    assert r.json()["total"] == 3000  # no member, no member price


async def test_one_customer_across_channels_is_one_member_with_one_history(shop):
    for channel, phone in (("pos", "138 0013 8000"), ("mini_program", "+86 138-0013-8000")):
        b = {
            "channel": channel,
            "customer": {"phone": phone},
            "lines": [{"sku": "BUN", "qty": 1}],
            "fulfillment": {"type": "dine_in" if channel == "pos" else "pickup", "location": "S1"},
        }
        r = await shop.post("/api/v1/orders", json=b)
        assert r.status_code == 201, r.text
        assert r.json()["member_id"] == shop.member_id
    member = (await shop.get(f"/api/v1/members/{shop.member_id}")).json()
    assert member["order_count"] == 1  # the POS sale is paid; the app order awaits payment
    assert set(member["channels_seen"]) >= {"pos"}
    assert member["lifetime_net_spend"] == 1500


async def test_a_shared_virtual_number_never_identifies_a_member(shop):
    b = {
        "channel": "pos",
        "customer": {"phone": "13800138000,1234"},
        "lines": [{"sku": "BUN", "qty": 1}],
        "fulfillment": {"type": "dine_in", "location": "S1"},
    }
    r = await shop.post("/api/v1/orders", json=b)
    assert r.status_code == 201, r.text
    assert r.json()["member_id"] is None


async def test_points_already_spent_cannot_be_taken_back_and_the_shortfall_is_recorded(db, shop):
    first = await place(shop, channel="pos", lines=[{"sku": "TEA", "qty": 4}])  # 6000: 60 pts
    await complete(shop, first["id"])
    await place(shop, channel="pos", tenders={"points": 50})  # spends 50 of them
    assert (await balances(shop))[0] == 10
    from omniloop.orders.lifecycle import apply_refund
    from omniloop.orders.views import load_order

    async with db.uow() as uow:
        o = await load_order(uow.session, shop.merchant_id, __import__("uuid").UUID(first["id"]))
        await apply_refund(
            uow, o, amount=6000, line_qtys=None, restock=False, actor="test", reason=None
        )
        await uow.commit()
    assert (await balances(shop))[0] == 0  # never below zero
    entries = (await shop.get(f"/api/v1/members/{shop.member_id}/points")).json()["items"]
    reverse = next(e for e in entries if e["kind"] == "reverse")
    assert reverse["points"] == -10
    assert reverse["detail"]["wanted"] == -60  # 50 of the 60 to take back had been spent
