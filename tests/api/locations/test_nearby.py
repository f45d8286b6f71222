"""Nearby search: exactly the brute-force haversine ranking, with its filters."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from haversine import haversine
from sqlalchemy import event

from omniloop.locations import service
from omniloop.locations.models import Location
from tests.api.locations.conftest import URL, create_location
from tests.support.factories import add_skus

NEARBY = f"{URL}/nearby"
SHANGHAI = (31.2304, 121.4737)
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def nearby(tenant: Any, **params: Any) -> list[dict[str, Any]]:
    r = await tenant.get(NEARBY, params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def expected_ranking(locations, lat, lng, radius_km, limit):
    """Brute force: measure every active location, keep those in the radius, sort, cut."""
    measured = [
        (loc["code"], haversine((lat, lng), (loc["lat"], loc["lng"])))
        for loc in locations
        if loc["active"]
    ]
    inside = sorted(((c, d) for c, d in measured if d <= radius_km), key=lambda t: (t[1], t[0]))
    return inside[:limit]


async def test_nearby_equals_a_brute_force_haversine_ranking(tenant):
    rng = random.Random(2024)
    locations = []
    for i in range(300):
        lat = SHANGHAI[0] + rng.gauss(0, 0.08)
        lng = SHANGHAI[1] + rng.gauss(0, 0.08)
        loc = await create_location(
            tenant, f"S{i:03d}", lat=round(lat, 6), lng=round(lng, 6), active=rng.random() > 0.1
        )
        locations.append(loc)
    assert any(not loc["active"] for loc in locations)

    checked = 0
    for _ in range(12):
        lat = SHANGHAI[0] + rng.uniform(-0.15, 0.15)
        lng = SHANGHAI[1] + rng.uniform(-0.15, 0.15)
        radius_km = rng.choice([0.5, 1.0, 2.0, 5.0, 10.0, 25.0])
        limit = rng.choice([1, 5, 20, 200])
        items = await nearby(tenant, lat=lat, lng=lng, radius_km=radius_km, limit=limit)
        expected = expected_ranking(locations, lat, lng, radius_km, limit)
        assert [i["code"] for i in items] == [code for code, _ in expected]
        assert [i["distance_km"] for i in items] == [round(d, 3) for _, d in expected]
        checked += len(items)
    assert checked > 50, "the random queries should find plenty"


async def test_defaults_are_a_five_km_radius_and_twenty_results(tenant):
    for i in range(25):
        await create_location(tenant, f"S{i:02d}", lat=SHANGHAI[0] + i * 0.0001)
    await create_location(tenant, "FAR", lat=SHANGHAI[0] + 0.06)  # about 6.7 km north
    items = await nearby(tenant, lat=SHANGHAI[0], lng=SHANGHAI[1])
    assert [i["code"] for i in items] == [f"S{i:02d}" for i in range(20)]
    items = await nearby(tenant, lat=SHANGHAI[0], lng=SHANGHAI[1], limit=200)
    assert len(items) == 25


async def test_items_are_full_locations_with_distance_and_open_now(tenant):
    loc = await create_location(tenant, "S1", lat=31.24, lng=121.48)
    (item,) = await nearby(tenant, lat=31.23, lng=121.47)
    distance = item.pop("distance_km")
    assert distance == round(haversine((31.23, 121.47), (31.24, 121.48)), 3)
    assert item.pop("open_now") is True
    assert item == loc


async def test_locations_on_both_sides_of_the_antimeridian_are_found(tenant):
    await create_location(tenant, "EAST", lat=-16.5, lng=179.9, timezone="Pacific/Fiji")
    await create_location(tenant, "WEST", lat=-16.5, lng=-179.9, timezone="Pacific/Fiji")
    await create_location(tenant, "GREENWICH", lat=-16.5, lng=0.0)

    items = await nearby(tenant, lat=-16.5, lng=179.95, radius_km=40)
    assert [i["code"] for i in items] == ["EAST", "WEST"]
    items = await nearby(tenant, lat=-16.5, lng=-179.99, radius_km=40)
    assert [i["code"] for i in items] == ["WEST", "EAST"]
    assert items[0]["distance_km"] == round(haversine((-16.5, -179.99), (-16.5, -179.9)), 3)


async def test_inactive_locations_are_never_nearby(tenant):
    await create_location(tenant, "OPEN")
    await create_location(tenant, "SHUT", active=False)
    assert [i["code"] for i in await nearby(tenant, lat=SHANGHAI[0], lng=SHANGHAI[1])] == ["OPEN"]
    await tenant.patch(f"{URL}/OPEN", json={"active": False})
    assert await nearby(tenant, lat=SHANGHAI[0], lng=SHANGHAI[1]) == []


async def test_kind_narrows_the_search(tenant):
    await create_location(tenant, "S1")
    await create_location(tenant, "W1", kind="warehouse")
    items = await nearby(tenant, lat=SHANGHAI[0], lng=SHANGHAI[1], kind="store")
    assert [i["code"] for i in items] == ["S1"]


async def test_open_now_keeps_only_locations_open_at_this_moment(tenant):
    await create_location(tenant, "A-NO-HOURS", lat=31.2300)
    await create_location(tenant, "B-ALWAYS", lat=31.2310, opening_hours=ALWAYS)
    await create_location(tenant, "C-NEVER", lat=31.2320, opening_hours={})

    items = await nearby(tenant, lat=31.23, lng=SHANGHAI[1])
    assert [(i["code"], i["open_now"]) for i in items] == [
        ("A-NO-HOURS", True),
        ("B-ALWAYS", True),
        ("C-NEVER", False),
    ]
    items = await nearby(tenant, lat=31.23, lng=SHANGHAI[1], open_now="true")
    assert [i["code"] for i in items] == ["A-NO-HOURS", "B-ALWAYS"]


async def test_open_now_reads_hours_in_each_locations_time_zone(tenant, db):
    hours = {"wed": [["08:00", "22:00"]]}
    await create_location(tenant, "SHANGHAI", lat=31.2300, opening_hours=hours)
    await create_location(
        tenant, "LA-CLOCK", lat=31.2310, opening_hours=hours, timezone="America/Los_Angeles"
    )
    wednesday_noon_utc = datetime(2024, 6, 5, 12, 0, tzinfo=UTC)  # 20:00 Shanghai, 05:00 LA
    found = await service.nearby(
        uow=db.uow(),
        merchant_id=tenant.merchant_id,
        lat=31.23,
        lng=SHANGHAI[1],
        radius_km=5,
        limit=10,
        open_now=True,
        at=wednesday_noon_utc,
    )
    assert [loc.code for loc, _ in found] == ["SHANGHAI"]


async def test_skus_keep_only_locations_where_every_listed_sku_is_available(tenant, db):
    await add_skus(db, tenant.merchant_id, ["TEA", "BUN"])
    for code, lat in (("A", 31.2300), ("B", 31.2310), ("C", 31.2320), ("D", 31.2330)):
        await create_location(tenant, code, lat=lat)
    counts = {
        ("A", "TEA"): {"on_hand": 5},
        ("B", "TEA"): {"on_hand": 3},
        ("B", "BUN"): {"on_hand": 2},
        ("C", "TEA"): {"on_hand": 1},
        ("C", "BUN"): {"on_hand": 4},
        ("D", "TEA"): {"on_hand": 2, "safety_stock": 2},  # nothing available
        ("D", "BUN"): {"on_hand": 9},
    }
    for (location, sku), body in counts.items():
        r = await tenant.put(
            f"/api/v1/inventory/{location}/{sku}", json={**body, "reason": "count"}
        )
        assert r.status_code == 200, r.text

    async def codes(skus: str) -> list[str]:
        return [i["code"] for i in await nearby(tenant, lat=31.23, lng=SHANGHAI[1], skus=skus)]

    assert await codes("TEA") == ["A", "B", "C"]
    assert await codes("BUN") == ["B", "C", "D"]
    assert await codes("TEA,BUN") == ["B", "C"]
    assert await codes(" BUN , TEA ,TEA") == ["B", "C"]
    assert await codes("TEA,NOSUCHSKU") == []
    r = await tenant.get(
        NEARBY, params={"lat": 31.23, "lng": SHANGHAI[1], "skus": "TEA", "limit": 1}
    )
    assert [i["code"] for i in r.json()["items"]] == ["A"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lng": 121.47}, "lat"),
        ({"lat": 31.2}, "lng"),
        ({"lat": 91, "lng": 121.47}, "lat"),
        ({"lat": 31.2, "lng": -181}, "lng"),
        ({"lat": "nan", "lng": 121.47}, "lat"),
        ({"lat": 31.2, "lng": 121.47, "radius_km": 0}, "radius_km"),
        ({"lat": 31.2, "lng": 121.47, "radius_km": 1001}, "radius_km"),
        ({"lat": 31.2, "lng": 121.47, "limit": 0}, "limit"),
        ({"lat": 31.2, "lng": 121.47, "limit": 201}, "limit"),
        ({"lat": 31.2, "lng": 121.47, "open_now": "perhaps"}, "open_now"),
        ({"lat": 31.2, "lng": 121.47, "skus": ",".join(f"K{i}" for i in range(51))}, "skus"),
    ],
)
async def test_bad_search_parameters_are_422(tenant, params, field):
    r = await tenant.get(NEARBY, params=params)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"
    assert field in [e["field"] for e in r.json()["errors"]]


async def test_nearby_over_ten_thousand_locations_equals_brute_force(tenant, db):
    rng = random.Random(10_000)
    rows = [
        Location(
            merchant_id=tenant.merchant_id,
            code=f"L{i:05d}",
            name=f"Store {i}",
            kind="store",
            lat=SHANGHAI[0] + rng.uniform(-1.0, 1.0),
            lng=SHANGHAI[1] + rng.uniform(-1.0, 1.0),
            timezone="Asia/Shanghai",
            active=True,
        )
        for i in range(10_000)
    ]
    async with db.uow() as uow:
        uow.session.add_all(rows)
        await uow.commit()
    plain = [{"code": r.code, "lat": r.lat, "lng": r.lng, "active": True} for r in rows]
    for lat, lng, radius_km in ((31.23, 121.47, 3.0), (30.5, 120.6, 10.0), (31.9, 122.3, 40.0)):
        items = await nearby(tenant, lat=lat, lng=lng, radius_km=radius_km, limit=200)
        expected = expected_ranking(plain, lat, lng, radius_km, 200)
        assert [i["code"] for i in items] == [code for code, _ in expected]
        assert items


async def test_on_sqlite_the_search_is_an_index_range_not_a_scan(tenant, db, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL's depends on table statistics")
    await create_location(tenant, "S1")
    statements: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM location" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await nearby(tenant, lat=SHANGHAI[0], lng=SHANGHAI[1])
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    ((statement, parameters),) = statements
    async with db.uow().read_only() as uow:
        conn = await uow.session.connection()
        plan = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
    detail = " ".join(str(row[-1]) for row in plan)
    assert "USING INDEX ix_location_merchant_id_lat_lng (merchant_id=? AND lat>? AND lat<?)" in (
        detail
    ), detail


async def test_the_sku_filter_looks_past_hundreds_of_nearer_locations_without_stock(tenant, db):
    await add_skus(db, tenant.merchant_id, ["TEA"])
    rows = [
        Location(
            merchant_id=tenant.merchant_id,
            code=f"L{i:04d}",
            name=f"Store {i}",
            kind="store",
            lat=31.0 + i * 0.0001,
            lng=SHANGHAI[1],
            timezone="Asia/Shanghai",
            active=True,
        )
        for i in range(1200)
    ]
    async with db.uow() as uow:
        uow.session.add_all(rows)
        await uow.commit()
    for code in ("L1150", "L0700", "L1199"):
        r = await tenant.put(
            f"/api/v1/inventory/{code}/TEA", json={"on_hand": 1, "reason": "count"}
        )
        assert r.status_code == 200, r.text
    items = await nearby(tenant, lat=31.0, lng=SHANGHAI[1], radius_km=50, skus="TEA", limit=2)
    assert [i["code"] for i in items] == ["L0700", "L1150"]
