import uuid
from datetime import timedelta

from sqlalchemy import update

from omniloop.inventory.check import check_stock
from omniloop.orders.lifecycle import expire_unpaid_orders
from omniloop.orders.models import Order
from omniloop.shared.clock import utcnow
from tests.api.orders.conftest import order_body, stock


async def act(t, order_id, action, key=None):
    return await t.post(f"/api/v1/orders/{order_id}/transitions", json={"action": action}, key=key)


async def test_a_delivery_order_walks_the_whole_state_machine(chain, db):
    connection = {
        "channel": "meituan",
        "name": "美团外卖",
        "secret": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    }
    assert (await chain.post("/api/v1/channel-connections", json=connection)).status_code == 201
    body = order_body(
        channel="meituan",
        fulfillment={"type": "delivery", "address": {"lat": 31.2305, "lng": 121.4738}},
    )
    order = (await chain.post("/api/v1/orders", json=body)).json()
    assert order["status"] == "paid"
    for action, status in [
        ("accept", "accepted"),
        ("start", "preparing"),
        ("ready", "ready"),
        ("dispatch", "out_for_delivery"),
        ("deliver", "delivered"),
        ("complete", "completed"),
    ]:
        r = await act(chain, order["id"], action)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    history = (await chain.get(f"/api/v1/orders/{order['id']}")).json()["history"]
    assert [h["to_status"] for h in history] == [
        "pending_payment", "paid", "accepted", "preparing", "ready",
        "out_for_delivery", "delivered", "completed",
    ]  # fmt: skip
    assert all(h["actor"].startswith("api_key:") for h in history)
    assert (await check_stock(uow=db.uow(), merchant_id=chain.merchant_id))[1] == []


async def test_illegal_transitions_are_refused(chain):
    order = (await chain.post("/api/v1/orders", json=order_body())).json()
    r = await act(chain, order["id"], "ready")
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    paid = (await chain.post("/api/v1/orders", json=order_body(channel="pos"))).json()
    for action in ("accept", "start", "ready"):
        assert (await act(chain, paid["id"], action)).status_code == 200
    r = await act(chain, paid["id"], "dispatch")
    assert r.status_code == 409, "a pickup order is not dispatched"
    r = await act(chain, paid["id"], "complete")
    assert r.status_code == 409, "a pickup order with a code is handed over by redemption"


async def test_cancelling_releases_unpaid_stock_and_returns_sold_stock(chain, db):
    unpaid = (await chain.post("/api/v1/orders", json=order_body())).json()
    assert await stock(chain, "S1", "TEA") == (10, 2)
    assert (await act(chain, unpaid["id"], "cancel")).json()["status"] == "cancelled"
    assert await stock(chain, "S1", "TEA") == (10, 0)
    sold = (await chain.post("/api/v1/orders", json=order_body(channel="pos"))).json()
    assert await stock(chain, "S1", "TEA") == (8, 0)
    assert (await act(chain, sold["id"], "cancel")).json()["status"] == "cancelled"
    assert await stock(chain, "S1", "TEA") == (10, 0)
    assert (await act(chain, sold["id"], "cancel")).status_code == 409
    assert (await check_stock(uow=db.uow(), merchant_id=chain.merchant_id))[1] == []


async def test_unpaid_orders_expire_and_release_their_stock(chain, db):
    order = (await chain.post("/api/v1/orders", json=order_body())).json()
    async with db.uow() as uow:
        await uow.session.execute(
            update(Order)
            .where(Order.merchant_id == chain.merchant_id, Order.id == uuid.UUID(order["id"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await uow.commit()
    assert await expire_unpaid_orders(db=db) >= 1
    after = (await chain.get(f"/api/v1/orders/{order['id']}")).json()
    assert after["status"] == "cancelled"
    assert after["history"][-1]["action"] == "expire"
    assert await stock(chain, "S1", "TEA") == (10, 0)


async def test_the_store_queue_filters_and_staff_see_only_their_locations(chain):
    await chain.post("/api/v1/orders", json=order_body())
    await chain.post(
        "/api/v1/orders",
        json=order_body(channel="pos", fulfillment={"type": "pickup", "location": "S2"}),
    )
    staff = await chain.key_for("store_staff", ["S1"])
    mine = (await chain.get("/api/v1/orders", key=staff)).json()["items"]
    assert {o["location"] for o in mine} == {"S1"}
    assert (await chain.get("/api/v1/orders?location=S2", key=staff)).status_code == 403
    paid = (await chain.get("/api/v1/orders?status=paid")).json()["items"]
    assert [o["location"] for o in paid] == ["S2"]
    pos = (await chain.get("/api/v1/orders?channel=pos")).json()["items"]
    assert len(pos) == 1


async def test_store_staff_never_see_pickup_codes_and_act_only_at_home(chain):
    order = (await chain.post("/api/v1/orders", json=order_body(channel="pos"))).json()
    assert order["pickup_code"]
    staff = await chain.key_for("store_staff", ["S1"])
    seen = (await chain.get(f"/api/v1/orders/{order['id']}", key=staff)).json()
    assert seen["pickup_code"] is None and seen["pickup_qr"] is None
    other = await chain.key_for("store_staff", ["S2"])
    assert (await chain.get(f"/api/v1/orders/{order['id']}", key=other)).status_code == 403
    assert (await act(chain, order["id"], "accept", key=other)).status_code == 403
    assert (await act(chain, order["id"], "accept", key=staff)).status_code == 200
    integrator = await chain.key_for("integrator")
    assert (await chain.get(f"/api/v1/orders/{order['id']}", key=integrator)).json()["pickup_code"]


async def test_another_merchant_cannot_see_or_move_an_order(chain, other_tenant):
    order = (await chain.post("/api/v1/orders", json=order_body())).json()
    assert (await other_tenant.get(f"/api/v1/orders/{order['id']}")).status_code == 404
    assert (await act(other_tenant, order["id"], "cancel")).status_code == 404
    assert (await other_tenant.get("/api/v1/orders")).json()["items"] == []
