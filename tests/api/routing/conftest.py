from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import add_location, add_skus

HOME = (31.2304, 121.4737)
KM = 1 / 111.2  # degrees of latitude in one kilometre
DAYTIME = {d: [["08:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
LATE = "2026-11-23T23:30:00+08:00"
NOON = "2026-11-23T12:00:00+08:00"
PREVIEW = "/api/v1/routing/preview"
RULES = "/api/v1/routing-rules"


async def place(db: Any, tenant: Any, code: str, km_north: float, **fields: Any) -> None:
    """A location ``km_north`` kilometres north of HOME."""
    await add_location(
        db, tenant.merchant_id, code, lat=HOME[0] + km_north * KM, lng=HOME[1], **fields
    )


async def stock(tenant: Any, location: str, sku: str, on_hand: int) -> None:
    r = await tenant.put(f"/api/v1/inventory/{location}/{sku}", json={"on_hand": on_hand})
    assert r.status_code == 200, r.text


def delivery(lines: list[tuple[str, int]] | None = None, at: str = NOON, **extra: Any) -> dict:
    return {
        "channel": "own_app",
        "lines": [{"sku": s, "qty": q} for s, q in (lines or [("TEA", 1)])],
        "fulfillment": {
            "type": "delivery",
            "address": {"text": "People's Square", "lat": HOME[0], "lng": HOME[1]},
            "requested_time": at,
        },
        **extra,
    }


def pickup(location: str | None = None, at: str = NOON, **fulfillment: Any) -> dict:
    body: dict[str, Any] = {"type": "pickup", "requested_time": at, **fulfillment}
    if location is not None:
        body["location"] = location
    return {"channel": "own_app", "lines": [{"sku": "TEA", "qty": 1}], "fulfillment": body}


async def preview(tenant: Any, body: dict, *, key: str | None = None) -> dict:
    r = await tenant.post(PREVIEW, json=body, key=key)
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.fixture
async def chain(tenant, db):
    """Stores north of HOME: S1 (1 km, closes at 22:00), S2 (2 km), S3 (3 km), FAR (9.4 km,
    5 km radius), WH (0.5 km, a warehouse); all hold 10 TEA, S2 and FAR also hold BUN."""
    await add_skus(db, tenant.merchant_id, ["TEA", "BUN", "CAKE"])
    await place(db, tenant, "S1", 1.0, opening_hours=DAYTIME)
    await place(db, tenant, "S2", 2.0)
    await place(db, tenant, "S3", 3.0, priority=5)
    await place(db, tenant, "FAR", 9.4)
    await place(db, tenant, "WH", 0.5, kind="warehouse")
    for code in ("S1", "S2", "S3", "FAR", "WH"):
        await stock(tenant, code, "TEA", 10)
    await stock(tenant, "S2", "BUN", 5)
    await stock(tenant, "FAR", "BUN", 5)
    return tenant
