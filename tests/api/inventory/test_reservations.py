import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import update

from omniloop.inventory.check import check_stock
from omniloop.inventory.models import Reservation
from omniloop.inventory.reservations import expire_reservations
from omniloop.shared.clock import utcnow
from tests.api.inventory.conftest import stock


async def reserve(t, lines, location="S1", **extra):
    return await t.post(
        "/api/v1/reservations",
        json={"location": location, "lines": [{"sku": s, "qty": q} for s, q in lines], **extra},
    )


async def level(t, sku, location="S1"):
    row = (await t.get(f"/api/v1/inventory/{location}/{sku}")).json()
    return row["on_hand"], row["reserved"], row["available"]


async def test_reservation_holds_all_lines(shop):
    await stock(shop, "S1", "TEA", 5)
    await stock(shop, "S1", "BUN", 5)
    r = await reserve(shop, [("TEA", 2), ("BUN", 3)], reference="cart-9", ttl_seconds=600)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "active" and body["reference"] == "cart-9"
    assert body["lines"] == [{"sku": "BUN", "qty": 3}, {"sku": "TEA", "qty": 2}]
    assert await level(shop, "TEA") == (5, 2, 3)
    assert await level(shop, "BUN") == (5, 3, 2)


async def test_reservation_is_all_or_none_and_names_the_short_lines(shop, db):
    await stock(shop, "S1", "TEA", 5)
    await stock(shop, "S1", "BUN", 1)
    r = await reserve(shop, [("TEA", 2), ("BUN", 3), ("CAKE", 1)])
    assert r.status_code == 409
    problem = r.json()
    assert problem["code"] == "insufficient_stock"
    assert problem["lines"] == [
        {"sku": "BUN", "requested": 3, "available": 1},
        {"sku": "CAKE", "requested": 1, "available": 0},
    ]
    assert await level(shop, "TEA") == (5, 0, 5)
    assert (await check_stock(uow=db.uow(), merchant_id=shop.merchant_id))[1] == []


async def test_commit_turns_the_reservation_into_a_sale(shop, db):
    await stock(shop, "S1", "TEA", 5)
    rid = (await reserve(shop, [("TEA", 2)], reference="order-1")).json()["id"]
    r = await shop.post(f"/api/v1/reservations/{rid}/commit")
    assert r.status_code == 200 and r.json()["status"] == "committed"
    assert await level(shop, "TEA") == (3, 0, 3)
    movements = (await shop.get("/api/v1/inventory/S1/TEA/movements")).json()["items"]
    assert movements[0]["reason"] == "sale" and movements[0]["delta"] == -2
    assert movements[0]["reference"] == "order-1"
    again = await shop.post(f"/api/v1/reservations/{rid}/commit")
    assert again.status_code == 200
    assert await level(shop, "TEA") == (3, 0, 3)
    assert (await shop.post(f"/api/v1/reservations/{rid}/release")).status_code == 409
    assert (await check_stock(uow=db.uow(), merchant_id=shop.merchant_id))[1] == []


async def test_release_gives_the_units_back_once(shop):
    await stock(shop, "S1", "TEA", 5)
    rid = (await reserve(shop, [("TEA", 4)])).json()["id"]
    assert (await shop.post(f"/api/v1/reservations/{rid}/release")).json()["status"] == "released"
    assert (await shop.post(f"/api/v1/reservations/{rid}/release")).status_code == 200
    assert await level(shop, "TEA") == (5, 0, 5)
    r = await shop.post(f"/api/v1/reservations/{rid}/commit")
    assert r.status_code == 409 and r.json()["code"] == "reservation_closed"


async def _age(db, merchant_id, rid):
    async with db.uow() as uow:
        await uow.session.execute(
            update(Reservation)
            .where(Reservation.merchant_id == merchant_id, Reservation.id == uuid.UUID(rid))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await uow.commit()


async def test_expired_reservations_release_themselves(shop, db):
    await stock(shop, "S1", "TEA", 5)
    rid = (await reserve(shop, [("TEA", 3)], ttl_seconds=60)).json()["id"]
    await _age(db, shop.merchant_id, rid)
    assert await expire_reservations(uow=db.uow()) >= 1
    assert (await shop.get(f"/api/v1/reservations/{rid}")).json()["status"] == "expired"
    assert await level(shop, "TEA") == (5, 0, 5)
    r = await shop.post(f"/api/v1/reservations/{rid}/commit")
    assert r.status_code == 409


async def test_an_overdue_hold_never_blocks_a_new_customer(shop, db):
    await stock(shop, "S1", "CAKE", 1)
    rid = (await reserve(shop, [("CAKE", 1)])).json()["id"]
    await _age(db, shop.merchant_id, rid)
    r = await reserve(shop, [("CAKE", 1)])
    assert r.status_code == 201, r.text
    assert (await shop.get(f"/api/v1/reservations/{rid}")).json()["status"] == "expired"
    assert await level(shop, "CAKE") == (1, 1, 0)


async def test_committing_an_overdue_reservation_is_refused(shop, db):
    await stock(shop, "S1", "TEA", 2)
    rid = (await reserve(shop, [("TEA", 2)])).json()["id"]
    await _age(db, shop.merchant_id, rid)
    r = await shop.post(f"/api/v1/reservations/{rid}/commit")
    assert r.status_code == 409 and r.json()["code"] == "reservation_closed"
    assert await level(shop, "TEA") == (2, 0, 2)


async def test_reservation_replays_for_the_same_idempotency_key(shop):
    await stock(shop, "S1", "TEA", 5)
    headers = {"Idempotency-Key": "res-1"}
    body = {"location": "S1", "lines": [{"sku": "TEA", "qty": 2}]}
    a = await shop.post("/api/v1/reservations", json=body, headers=headers)
    b = await shop.post("/api/v1/reservations", json=body, headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"]
    assert await level(shop, "TEA") == (5, 2, 3)
    c = await shop.post("/api/v1/reservations", json={**body, "reference": "x"}, headers=headers)
    assert c.status_code == 409 and c.json()["code"] == "idempotency_conflict"


async def test_concurrent_reservations_never_oversell_in_one_process(shop, db):
    await stock(shop, "S1", "CAKE", 20)

    async def one():
        return (await reserve(shop, [("CAKE", 1)])).status_code

    codes = await asyncio.gather(*(one() for _ in range(60)))
    assert codes.count(201) == 20 and codes.count(409) == 40
    assert await level(shop, "CAKE") == (20, 20, 0)
    assert (await check_stock(uow=db.uow(), merchant_id=shop.merchant_id))[1] == []


async def test_reservation_validation(shop):
    await stock(shop, "S1", "TEA", 5)
    bad = [
        {"location": "S1", "lines": []},
        {"location": "S1", "lines": [{"sku": "TEA", "qty": 0}]},
        {"location": "S1", "lines": [{"sku": "TEA", "qty": -3}]},
        {"location": "S1", "lines": [{"sku": "TEA", "qty": 2.5}]},
        {"location": "S1", "lines": [{"sku": "TEA", "qty": 10**10}]},
        {"location": "S1", "lines": [{"sku": "TEA", "qty": 1}], "ttl_seconds": 0},
        {"lines": [{"sku": "TEA", "qty": 1}]},
    ]
    for body in bad:
        r = await shop.post("/api/v1/reservations", json=body)
        assert r.status_code == 422, (body, r.text)
    r = await reserve(shop, [("GHOST", 1)])
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"
    r = await reserve(shop, [("TEA", 1)], location="NOWHERE")
    assert r.status_code == 422 and r.json()["code"] == "unknown_location"
    assert await level(shop, "TEA") == (5, 0, 5)
