"""``POST /api/v1/routing/preview``: where an order would go, and why nowhere else."""

from __future__ import annotations

from sqlalchemy import func, select

from omniloop.events import OutboxEvent
from omniloop.inventory.models import StockLevel
from tests.api.routing.conftest import (
    LATE,
    PREVIEW,
    RULES,
    delivery,
    pickup,
    place,
    preview,
    stock,
)


async def test_default_rules_pick_the_nearest_open_stocked_store(chain):
    decision = await preview(chain, delivery())
    assert decision["routed"] is True
    assert decision["location"] == "WH"  # the default rules do not look at the kind
    assert decision["assignments"] == [{"location": "WH", "lines": [{"sku": "TEA", "qty": 1}]}]
    assert [r["location"] for r in decision["ranked"]] == ["WH", "S1", "S2", "S3"]
    assert decision["ranked"][1]["distance_km"] == 1.0
    assert decision["rules"]["sort"] == ["distance", "priority"]


async def test_a_closed_store_is_rejected_with_the_rule_and_its_reason(chain):
    decision = await preview(chain, delivery(at=LATE))
    assert decision["rejected"]["S1"] == {
        "rule": "open_at_requested_time",
        "reason": "closed at 2026-11-23T23:30+08:00",
    }
    assert "S1" not in [r["location"] for r in decision["ranked"]]


async def test_a_store_beyond_its_service_radius_is_rejected_for_delivery_only(chain):
    decision = await preview(chain, delivery())
    assert decision["rejected"]["FAR"] == {
        "rule": "within_service_radius",
        "reason": "9.4 km > service radius 5 km",
    }
    customer_near_home = pickup(address={"lat": 31.2304, "lng": 121.4737})
    decision = await preview(chain, customer_near_home)
    assert "FAR" in [r["location"] for r in decision["ranked"]]


async def test_a_store_short_of_an_item_is_rejected_naming_what_is_missing(chain):
    decision = await preview(chain, delivery([("TEA", 2), ("BUN", 3)]))
    assert decision["location"] == "S2"
    assert decision["rejected"]["S1"] == {
        "rule": "has_all_stock",
        "reason": "short of BUN (needs 3, has 0)",
    }


async def test_nothing_qualifies_then_nearest_stocked_locations_are_alternatives(chain):
    await stock(chain, "S1", "BUN", 5)
    await stock(chain, "S2", "BUN", 0)
    decision = await preview(chain, delivery([("BUN", 5)], at=LATE))
    assert decision["routed"] is False and decision["location"] is None
    assert decision["assignments"] == []
    assert decision["reason"] == "no location passes every filter"
    # S1 is closed and FAR beyond its radius, but both hold the BUN: they are the alternatives.
    assert [a["location"] for a in decision["alternatives"]] == ["S1", "FAR"]
    assert decision["alternatives"][1]["distance_km"] == 9.4


async def test_a_delivery_never_considers_locations_no_service_radius_could_reach(chain, db):
    await place(db, chain, "OTHER-CITY", 300.0)
    decision = await preview(chain, delivery())
    assert "OTHER-CITY" not in decision["rejected"]
    assert decision["rejected_count"] == 1  # FAR


async def test_pickup_at_a_chosen_store_is_only_checked_there(chain):
    decision = await preview(chain, pickup("S3"))
    assert decision["location"] == "S3"
    assert decision["rejected"] == {} and decision["ranked_count"] == 1


async def test_pickup_at_a_store_without_stock_suggests_the_stocked_stores_nearest_it(chain):
    decision = await preview(chain, {**pickup("S3"), "lines": [{"sku": "BUN", "qty": 1}]})
    assert decision["routed"] is False
    assert decision["rejected"]["S3"]["rule"] == "has_all_stock"
    assert [a["location"] for a in decision["alternatives"]] == ["S2", "FAR"]
    assert decision["alternatives"][0]["distance_km"] == 1.0


async def test_pickup_without_store_or_position_goes_by_priority(chain):
    decision = await preview(chain, pickup())
    assert decision["location"] == "S3"


async def test_pickup_near_a_customer_finds_a_store_beyond_the_first_search_circle(tenant, db):
    await place(db, tenant, "DISTANT", 30.0)
    await place(db, tenant, "FURTHER", 80.0)
    from tests.support.factories import add_skus

    await add_skus(db, tenant.merchant_id, ["TEA"])
    await stock(tenant, "DISTANT", "TEA", 1)
    await stock(tenant, "FURTHER", "TEA", 1)
    decision = await preview(tenant, pickup(address={"lat": 31.2304, "lng": 121.4737}))
    assert decision["location"] == "DISTANT"


async def test_a_full_order_body_is_accepted_and_its_other_fields_ignored(chain):
    body = delivery(
        customer={"phone": "13800000000", "name": "Li"},
        note="no onions",
        external_id="APP-1",
        tracking_code="x",
    )
    body["lines"][0]["note"] = "hot"
    body["fulfillment"]["address"]["floor"] = 3
    assert (await preview(chain, body))["location"] == "WH"


async def test_preview_writes_nothing(chain, db):
    async def snapshot():
        async with db.uow().read_only() as uow:
            events = await uow.session.scalar(
                select(func.count()).where(OutboxEvent.merchant_id == chain.merchant_id)
            )
            levels = (
                await uow.session.execute(
                    select(StockLevel.location_code, StockLevel.sku, StockLevel.reserved).where(
                        StockLevel.merchant_id == chain.merchant_id
                    )
                )
            ).all()
            return events, sorted(levels)

    before = await snapshot()
    await preview(chain, delivery())
    await preview(chain, delivery([("BUN", 50)]))
    assert await snapshot() == before


async def test_delivery_without_an_address_is_422(chain):
    body = delivery()
    del body["fulfillment"]["address"]
    r = await chain.post(PREVIEW, json=body)
    assert r.status_code == 422
    assert "address" in r.json()["detail"]


async def test_unknown_skus_are_422_unknown_sku(chain):
    r = await chain.post(PREVIEW, json=delivery([("TEA", 1), ("GHOST", 1)]))
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_sku"
    assert r.json()["skus"] == ["GHOST"]


async def test_an_unknown_pickup_location_is_422_unknown_location(chain):
    r = await chain.post(PREVIEW, json=pickup("NOWHERE"))
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_location"


async def test_bad_preview_bodies_are_422(chain):
    for body in (
        {**delivery(), "channel": "Own App"},
        {**delivery(), "lines": []},
        delivery([("TEA", 0)]),
        {**delivery(), "fulfillment": {"type": "teleport"}},
        delivery(at="2026-11-23T12:00:00"),  # no offset
    ):
        r = await chain.post(PREVIEW, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "validation_error"


async def test_rules_change_then_preview_follows_priority_and_kind(chain):
    r = await chain.put(
        RULES,
        json={
            "filters": ["active", {"name": "kind_in", "kinds": ["store"]}, "has_all_stock"],
            "sort": ["priority", "distance"],
        },
    )
    assert r.status_code == 200, r.text
    decision = await preview(chain, delivery())
    assert decision["location"] == "S3"
    assert decision["rejected"]["WH"]["rule"] == "kind_in"
    assert [r["location"] for r in decision["ranked"]][:2] == ["S3", "S1"]


async def test_a_split_order_ships_from_two_stores_when_the_rules_allow_it(chain, db):
    await stock(chain, "S1", "BUN", 2)
    await stock(chain, "S2", "BUN", 0)
    await stock(chain, "S3", "BUN", 2)
    await stock(chain, "FAR", "BUN", 0)
    rules = {
        "filters": ["active", "has_all_stock"],
        "sort": ["distance"],
        "split": {"policy": "allow", "max_locations": 2},
    }
    assert (await chain.put(RULES, json=rules)).status_code == 200
    decision = await preview(chain, delivery([("BUN", 4)]))
    assert decision["assignments"] == [
        {"location": "S1", "lines": [{"sku": "BUN", "qty": 2}]},
        {"location": "S3", "lines": [{"sku": "BUN", "qty": 2}]},
    ]
