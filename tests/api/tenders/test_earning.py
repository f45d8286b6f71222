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
