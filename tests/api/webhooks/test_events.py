from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from omniloop.events import record_event


async def _record(db, tenant, *types: str) -> list[str]:
    ids = []
    for type_ in types:  # one transaction each, so created_at grows in this order
        async with db.uow() as uow:
            event = record_event(
                uow.session, merchant_id=tenant.merchant_id, type=type_, data={"n": len(ids)}
            )
            await uow.commit()
        ids.append(str(event.id))
    return ids


async def _ids(tenant, query: str) -> list[str]:
    r = await tenant.get(f"/api/v1/events{query}")
    assert r.status_code == 200, r.text
    return [e["id"] for e in r.json()["items"]]


async def test_events_are_listed_newest_first_shaped_like_webhook_bodies(tenant, db):
    ids = await _record(db, tenant, "inventory.adjusted", "location.created")
    r = await tenant.get("/api/v1/events?limit=2")
    items = r.json()["items"]
    assert [e["id"] for e in items] == ids[::-1]
    assert set(items[0]) == {"id", "type", "created_at", "merchant_id", "data"}
    assert items[0]["merchant_id"] == str(tenant.merchant_id)
    assert items[0]["type"] == "location.created" and items[0]["data"] == {"n": 1}
    assert items[0]["created_at"].endswith("Z")


async def test_events_filter_by_exact_type_prefix_or_star(tenant, db):
    adjusted, reserved, created = await _record(
        db, tenant, "inventory.adjusted", "inventory.reserved", "location.created"
    )
    assert await _ids(tenant, "?type=inventory.adjusted") == [adjusted]
    assert await _ids(tenant, "?type=inventory.*") == [reserved, adjusted]
    assert created in await _ids(tenant, "?type=*")


async def test_a_prefix_filter_treats_underscores_literally(tenant, db):
    (plain,) = await _record(db, tenant, "stock_x.moved")
    await _record(db, tenant, "stockax.moved")
    assert await _ids(tenant, "?type=stock_x.*") == [plain]


async def test_since_keeps_events_at_or_after_the_instant(tenant, db):
    (older,) = await _record(db, tenant, "inventory.adjusted")
    r = await tenant.get("/api/v1/events?type=inventory.adjusted")
    cut = r.json()["items"][0]["created_at"]
    (newer,) = await _record(db, tenant, "inventory.adjusted")
    assert await _ids(tenant, f"?type=inventory.adjusted&since={quote(cut)}") == [newer, older]
    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    assert await _ids(tenant, f"?since={quote(later)}") == []


async def test_events_page_through_with_a_cursor(tenant, db):
    ids = await _record(db, tenant, *["order.x"] * 5)
    seen: list[str] = []
    cursor = ""
    while True:
        r = (await tenant.get(f"/api/v1/events?type=order.x&limit=2&cursor={cursor}")).json()
        seen += [e["id"] for e in r["items"]]
        if not r["next_cursor"]:
            break
        cursor = r["next_cursor"]
    assert seen == ids[::-1]


async def test_another_merchants_events_are_never_listed(tenant, other_tenant, db):
    mine = await _record(db, tenant, "inventory.adjusted")
    theirs = await _record(db, other_tenant, "inventory.adjusted")
    listed = await _ids(tenant, "?limit=500")
    assert mine[0] in listed and theirs[0] not in listed


async def test_bad_filters_are_validation_errors(tenant):
    for query in ("?type=Inventory", "?type=inv*", "?since=yesterday", "?limit=0", "?limit=501"):
        r = await tenant.get(f"/api/v1/events{query}")
        assert r.status_code == 422, (query, r.text)
        assert r.json()["code"] == "validation_error"
