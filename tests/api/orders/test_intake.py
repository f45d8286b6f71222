from tests.api.orders.conftest import order_body, stock


async def test_an_online_order_is_priced_by_the_server_and_holds_its_stock(chain):
    r = await chain.post("/api/v1/orders", json=order_body())
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "pending_payment" and order["payment_status"] == "unpaid"
    assert order["location"] == "S1" and order["currency"] == "CNY"
    assert [(ln["sku"], ln["qty"], ln["unit_price"], ln["total"]) for ln in order["lines"]] == [
        ("BUN", 1, 1500, 1500),
        ("TEA", 2, 1500, 3000),
    ]
    assert (order["subtotal"], order["discount_total"], order["total"]) == (4500, 0, 4500)
    assert order["customer"]["phone"] == "+8613812345678"
    assert order["history"][0]["to_status"] == "pending_payment"
    assert order["expires_at"] is not None and order["pickup_code"] is None
    assert await stock(chain, "S1", "TEA") == (10, 2)
    again = await chain.get(f"/api/v1/orders/{order['id']}")
    assert again.json()["number"] == order["number"]


async def test_client_prices_are_never_trusted(chain):
    body = order_body(lines=[{"sku": "TEA", "qty": 1, "unit_price": 1}])
    assert (await chain.post("/api/v1/orders", json=body)).status_code == 422


async def test_pos_orders_enter_paid_and_sell_the_stock_at_once(chain):
    r = await chain.post("/api/v1/orders", json=order_body(channel="pos"))
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "paid" and order["paid_total"] == order["total"] == 4500
    assert len(order["pickup_code"]) == 10 and order["pickup_code"].isdigit()
    assert await stock(chain, "S1", "TEA") == (8, 0)


async def test_idempotency_key_replays_and_refuses_another_body(chain):
    headers = {"Idempotency-Key": "checkout-42"}
    a = await chain.post("/api/v1/orders", json=order_body(), headers=headers)
    b = await chain.post("/api/v1/orders", json=order_body(), headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"] and b.headers["Idempotent-Replayed"] == "true"
    assert await stock(chain, "S1", "TEA") == (10, 2)
    c = await chain.post("/api/v1/orders", json=order_body(note="x"), headers=headers)
    assert c.status_code == 409 and c.json()["code"] == "idempotency_conflict"


async def test_an_offline_pos_replay_never_counts_stock_twice(chain):
    body = order_body(channel="pos", external_id="POS-S1-000917")
    first = await chain.post("/api/v1/orders", json=body)
    replay = await chain.post("/api/v1/orders", json=body)
    assert first.status_code == 201 and replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    assert await stock(chain, "S1", "TEA") == (8, 0)


async def test_a_pickup_at_a_store_without_stock_is_refused_with_alternatives(chain):
    await chain.put("/api/v1/inventory/S1/TEA", json={"on_hand": 1})
    r = await chain.post("/api/v1/orders", json=order_body())
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "no_fulfillment_location"
    assert [a["location"] for a in problem["alternatives"]] == ["S2"]
    assert await stock(chain, "S1", "BUN") == (10, 0)


async def test_delivery_is_routed_to_the_nearest_store_that_has_everything(chain):
    body = order_body(
        fulfillment={"type": "delivery", "address": {"text": "家", "lat": 31.2490, "lng": 121.4740}}
    )
    r = await chain.post("/api/v1/orders", json=body)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["location"] == "S2"
    assert order["routing"], "the routing decision is stored with its reasons"


async def test_bad_orders_are_refused_and_write_nothing(chain):
    cases = [
        order_body(lines=[]),
        order_body(lines=[{"sku": "TEA", "qty": 0}]),
        order_body(channel="Bad Channel"),
        order_body(customer={"phone": "12"}),
        order_body(fulfillment={"type": "delivery"}),
        order_body(fulfillment={"type": "teleport", "location": "S1"}),
    ]
    for body in cases:
        r = await chain.post("/api/v1/orders", json=body)
        assert r.status_code == 422, (body, r.text)
    r = await chain.post("/api/v1/orders", json=order_body(lines=[{"sku": "GHOST", "qty": 1}]))
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"
    r = await chain.post(
        "/api/v1/orders", json=order_body(fulfillment={"type": "pickup", "location": "NOPE"})
    )
    assert r.status_code == 422 and r.json()["code"] == "unknown_location"
    assert (await chain.get("/api/v1/orders")).json()["items"] == []
    assert await stock(chain, "S1", "TEA") == (10, 0)


async def test_a_third_party_channel_needs_a_configured_connection(chain):
    r = await chain.post("/api/v1/orders", json=order_body(channel="douyin"))
    assert r.status_code == 422 and "douyin" in r.json()["detail"]


async def test_a_store_at_capacity_is_passed_over_for_the_next_one(chain):
    rules = {
        "filters": ["active", {"name": "under_capacity", "max_open_orders": 1}, "has_all_stock"],
        "sort": ["distance", "priority"],
        "split": {"policy": "never"},
    }
    assert (await chain.put("/api/v1/routing-rules", json=rules)).status_code == 200
    near_s1 = {"type": "pickup", "address": {"lat": 31.2305, "lng": 121.4737}}
    first = (await chain.post("/api/v1/orders", json=order_body(fulfillment=near_s1))).json()
    assert first["location"] == "S1"
    preview = await chain.post("/api/v1/routing/preview", json=order_body(fulfillment=near_s1))
    assert preview.json()["rejected"]["S1"]["rule"] == "under_capacity"
    second = (await chain.post("/api/v1/orders", json=order_body(fulfillment=near_s1))).json()
    assert second["location"] == "S2"
