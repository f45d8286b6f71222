from sqlalchemy import select

from omniloop.events import OutboxEvent
from omniloop.inventory.check import check_stock
from tests.api.inventory.conftest import stock


async def test_count_sets_on_hand_and_the_ledger_records_the_difference(shop, db):
    first = await stock(shop, "S1", "TEA", 10)
    assert (first["on_hand"], first["reserved"], first["available"]) == (10, 0, 10)
    await stock(shop, "S1", "TEA", 7)
    r = await shop.get("/api/v1/inventory/S1/TEA/movements")
    deltas = [m["delta"] for m in r.json()["items"]]
    assert deltas == [-3, 10]
    assert all(m["reason"] == "count" for m in r.json()["items"])
    checked, problems = await check_stock(uow=db.uow(), merchant_id=shop.merchant_id)
    assert checked == 1 and problems == []


async def test_safety_stock_is_kept_back_from_available(shop):
    row = await stock(shop, "S1", "CAKE", 5, safety_stock=2)
    assert row["available"] == 3
    r = await shop.post(
        "/api/v1/reservations", json={"location": "S1", "lines": [{"sku": "CAKE", "qty": 4}]}
    )
    assert r.status_code == 409
    assert r.json()["lines"] == [{"sku": "CAKE", "requested": 4, "available": 3}]


async def test_adjustments_move_stock_with_a_reason_and_reference(shop):
    r = await shop.post(
        "/api/v1/inventory/adjustments",
        json={
            "location": "S1",
            "sku": "BUN",
            "delta": 12,
            "reason": "receipt",
            "reference": "PO-1",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["stock"]["on_hand"] == 12
    assert r.json()["movement"]["reference"] == "PO-1"
    r = await shop.post(
        "/api/v1/inventory/adjustments",
        json={"location": "S1", "sku": "BUN", "delta": -2, "reason": "damage"},
    )
    assert r.json()["stock"]["on_hand"] == 10
    assert r.json()["movement"]["on_hand_after"] == 10


async def test_adjustment_cannot_take_on_hand_below_what_is_reserved(shop, db):
    await stock(shop, "S1", "BUN", 5)
    r = await shop.post(
        "/api/v1/reservations", json={"location": "S1", "lines": [{"sku": "BUN", "qty": 4}]}
    )
    assert r.status_code == 201
    r = await shop.post(
        "/api/v1/inventory/adjustments",
        json={"location": "S1", "sku": "BUN", "delta": -2, "reason": "damage"},
    )
    assert r.status_code == 409
    assert r.json()["code"] == "stock_reserved"
    r = await shop.put("/api/v1/inventory/S1/BUN", json={"on_hand": 3})
    assert r.status_code == 409
    row = (await shop.get("/api/v1/inventory/S1/BUN")).json()
    assert (row["on_hand"], row["reserved"]) == (5, 4)
    assert (await check_stock(uow=db.uow(), merchant_id=shop.merchant_id))[1] == []


async def test_adjustment_replays_for_the_same_idempotency_key(shop):
    body = {"location": "S1", "sku": "TEA", "delta": 3, "reason": "receipt"}
    headers = {"Idempotency-Key": "adj-1"}
    first = await shop.post("/api/v1/inventory/adjustments", json=body, headers=headers)
    again = await shop.post("/api/v1/inventory/adjustments", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (await shop.get("/api/v1/inventory/S1/TEA")).json()["on_hand"] == 3
    other = await shop.post(
        "/api/v1/inventory/adjustments", json={**body, "delta": 4}, headers=headers
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"


async def test_unknown_sku_or_location_is_a_clear_4xx_and_writes_nothing(shop, db):
    r = await shop.post(
        "/api/v1/inventory/adjustments",
        json={"location": "S1", "sku": "NOPE", "delta": 1, "reason": "receipt"},
    )
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"
    r = await shop.post(
        "/api/v1/inventory/adjustments",
        json={"location": "NOWHERE", "sku": "TEA", "delta": 1, "reason": "receipt"},
    )
    assert r.status_code == 422 and r.json()["code"] == "unknown_location"
    r = await shop.put("/api/v1/inventory/NOWHERE/TEA", json={"on_hand": 1})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = await shop.get("/api/v1/inventory/S1/NOPE")
    assert r.status_code == 404
    assert (await shop.get("/api/v1/inventory")).json()["items"] == []


async def test_bad_quantities_are_refused_with_problem_json(shop):
    for body in (
        {"on_hand": -1},
        {"on_hand": 1.5},
        {"on_hand": "7"},
        {"on_hand": 10**12},
        {"on_hand": 1, "reason": "stolen"},
        {"on_hand": 1, "surprise": True},
    ):
        r = await shop.put("/api/v1/inventory/S1/TEA", json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "validation_error"
    r = await shop.post(
        "/api/v1/inventory/adjustments",
        content=b'{"location": "S1", "sku": ',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["code"] == "malformed_json"


async def test_inventory_list_filters_and_paginates(shop):
    for loc in ("S1", "S2"):
        for sku in ("BUN", "CAKE", "TEA"):
            await stock(shop, loc, sku, 1)
    seen, cursor = [], None
    while True:
        params = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = (await shop.get("/api/v1/inventory", params=params)).json()
        seen += [(i["location"], i["sku"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 6
    only = (await shop.get("/api/v1/inventory", params={"sku": "TEA"})).json()["items"]
    assert [(i["location"], i["sku"]) for i in only] == [("S1", "TEA"), ("S2", "TEA")]


async def test_stock_changes_write_their_events_in_the_same_transaction(shop, db):
    await stock(shop, "S1", "TEA", 4)
    async with db.uow() as uow:
        events = list(
            await uow.session.scalars(
                select(OutboxEvent).where(OutboxEvent.merchant_id == shop.merchant_id)
            )
        )
    adjusted = [e for e in events if e.type == "inventory.adjusted"]
    assert len(adjusted) == 1
    assert adjusted[0].data["on_hand"] == 4 and adjusted[0].data["delta"] == 4
