"""Points and stored value pay for orders: taken at placement, returned where they came from."""

import asyncio

from omniloop.payments.check import check_payments
from tests.api.tenders.conftest import balances, body, grant, pay_rest, place


async def _stock(t, sku="TEA"):
    row = (await t.get(f"/api/v1/inventory/S1/{sku}")).json()
    return row["on_hand"], row["reserved"]


async def test_points_and_wallet_pay_part_and_the_provider_collects_the_rest(
    app, db, shop, gateway
):
    await grant(db, shop, points=1000, wallet=2000)
    order = await place(shop, tenders={"points": 500, "wallet": 1000})
    assert order["status"] == "pending_payment"
    assert order["total"] == 3000
    assert order["amount_due"] == 3000 - 500 - 1000
    assert [(t["kind"], t["amount"], t["points"]) for t in order["tenders"]] == [
        ("points", 500, 500),
        ("wallet", 1000, 0),
    ]
    assert await balances(shop) == (500, 1000, 0)  # taken at once, so nobody spends it twice

    paid = await pay_rest(app, gateway, shop, order)
    assert paid["status"] == "paid" and paid["paid_total"] == 3000
    assert [(t["kind"], t["amount"]) for t in paid["tenders"]] == [
        ("points", 500),
        ("wallet", 1000),
        ("provider", 1500),
    ]
    _, problems = await check_payments(uow=db.uow(), merchant_id=shop.merchant_id)
    assert problems == []


async def test_an_order_covered_by_the_wallet_is_paid_at_once(db, shop):
    await grant(db, shop, wallet=5000)
    order = await place(shop, tenders={"wallet": 3000})
    assert order["status"] == "paid" and order["amount_due"] == 0
    assert order["pickup_code"]
    assert await _stock(shop) == (498, 0)
    assert await balances(shop) == (0, 2000, 0)


async def test_a_tender_beyond_the_balance_is_refused_and_nothing_is_written(db, shop):
    await grant(db, shop, points=100, wallet=500)
    before = await _stock(shop)
    r = await shop.post("/api/v1/orders", json=body(shop, tenders={"wallet": 600}))
    assert r.status_code == 409 and r.json()["code"] == "insufficient_wallet", r.text
    r = await shop.post("/api/v1/orders", json=body(shop, tenders={"points": 101}))
    assert r.status_code == 409 and r.json()["code"] == "insufficient_points", r.text
    assert await _stock(shop) == before
    assert await balances(shop) == (100, 500, 0)
    listed = (await shop.get(f"/api/v1/orders?member_id={shop.member_id}")).json()["items"]
    assert listed == []


async def test_points_pay_at_most_the_programs_share_of_an_order(db, shop):
    await grant(db, shop, points=10_000)
    r = await shop.post("/api/v1/orders", json=body(shop, tenders={"points": 1501}))
    assert r.status_code == 409 and r.json()["code"] == "tender_refused", r.text
    assert r.json()["max_points"] == 1500
    order = await place(shop, tenders={"points": 1500})
    assert order["amount_due"] == 1500


async def test_a_wallet_tender_larger_than_what_is_left_to_pay_is_refused(db, shop):
    await grant(db, shop, wallet=10_000)
    r = await shop.post("/api/v1/orders", json=body(shop, tenders={"wallet": 3001}))
    assert r.status_code == 409 and r.json()["code"] == "tender_refused", r.text
    assert await balances(shop) == (0, 10_000, 0)


async def test_cancelling_an_unpaid_order_gives_the_member_its_points_and_wallet_back(db, shop):
    await grant(db, shop, points=800, wallet=1200, bonus=300)
    order = await place(shop, tenders={"points": 800, "wallet": 1000})
    assert await balances(shop) == (0, 1200 - 800, 300 - 200)  # wallet spent 4:1
    r = await shop.post(f"/api/v1/orders/{order['id']}/transitions", json={"action": "cancel"})
    assert r.status_code == 200, r.text
    assert await balances(shop) == (800, 1200, 300)
    _, problems = await check_payments(uow=db.uow(), merchant_id=shop.merchant_id)
    assert problems == []


async def test_a_refund_goes_back_to_each_tender_in_proportion(app, db, shop, gateway):
    await grant(db, shop, wallet=1500)
    order = await place(shop, tenders={"wallet": 1500})
    order = await pay_rest(app, gateway, shop, order)  # 1500 wallet + 1500 sandbox
    r = await shop.post(f"/api/v1/orders/{order['id']}/refunds", json={"amount": 1001})
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["tenders"] == {"provider": 501, "wallet": 500}
    assert result["refund"]["amount"] == 501
    assert await balances(shop) == (0, 500, 0)
    r = await shop.post(f"/api/v1/orders/{order['id']}/refunds", json={"amount": 1999})
    assert r.status_code == 201, r.text
    assert r.json()["tenders"] == {"provider": 999, "wallet": 1000}
    assert r.json()["order"]["status"] == "refunded"
    assert await balances(shop) == (0, 1500, 0)  # every unit back where it came from
    _, problems = await check_payments(uow=db.uow(), merchant_id=shop.merchant_id)
    assert problems == []


async def test_refunding_tendered_points_returns_the_points_not_money(app, db, shop, gateway):
    await grant(db, shop, points=1000)
    order = await place(shop, tenders={"points": 1000})
    order = await pay_rest(app, gateway, shop, order)  # 1000 points + 2000 sandbox
    r = await shop.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"lines": [{"sku": "TEA", "qty": 2}]}
    )
    assert r.status_code == 201, r.text
    assert r.json()["tenders"] == {"provider": 2000, "points": 1000}
    assert r.json()["points_returned"] == 1000
    assert (await balances(shop))[0] == 1000


async def test_store_staff_need_a_member_code_scan_to_take_points_or_wallet(db, shop):
    await grant(db, shop, wallet=5000)
    staff = await shop.key_for("store_staff", ["S1"])
    b = body(shop, channel="pos", tenders={"wallet": 100})
    b.pop("member_id")
    r = await shop.post("/api/v1/orders", json=b, key=staff)
    assert r.status_code == 403, r.text
    r = await shop.post("/api/v1/orders", json=body(shop, channel="pos"), key=staff)
    assert r.status_code == 403, r.text  # naming a member is not for store staff either
    assert await balances(shop) == (0, 5000, 0)


async def test_concurrent_orders_never_spend_one_wallet_below_zero(app, db, shop, backend):
    await grant(db, shop, wallet=10 * 3000)
    attempts = 25

    async def spend():
        return await shop.post("/api/v1/orders", json=body(shop, tenders={"wallet": 3000}))

    results = await asyncio.gather(*(spend() for _ in range(attempts)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 10, codes
    assert all(c == 409 for c in codes if c != 201), [
        r.text for r in results if r.status_code >= 500
    ]
    assert await balances(shop) == (0, 0, 0)
    _, problems = await check_payments(uow=db.uow(), merchant_id=shop.merchant_id)
    assert problems == []
