from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import add_location, add_skus

HOME = (31.2304, 121.4737)
KM = 1 / 111.2  # degrees of latitude in one kilometre
ORDERS = "/api/v1/orders"


def redemptions(location: str) -> str:
    return f"/api/v1/locations/{location}/redemptions"


async def stock(tenant: Any, location: str, sku: str, on_hand: int) -> None:
    r = await tenant.put(f"/api/v1/inventory/{location}/{sku}", json={"on_hand": on_hand})
    assert r.status_code == 200, r.text


async def pickup_order(tenant: Any, location: str = "S1", *, ready: bool = True) -> dict:
    """A POS pickup order (paid at once, so it has its code), moved to ready."""
    r = await tenant.post(
        ORDERS,
        json={
            "channel": "pos",
            "lines": [{"sku": "TEA", "qty": 2}],
            "fulfillment": {"type": "pickup", "location": location},
        },
    )
    assert r.status_code == 201, r.text
    order = dict(r.json())
    assert order["pickup_code"] and len(order["pickup_code"]) == 10
    if ready:
        for action in ("accept", "start", "ready"):
            r = await tenant.post(f"{ORDERS}/{order['id']}/transitions", json={"action": action})
            assert r.status_code == 200, r.text
    return order


async def delivery_order(tenant: Any, **extra: Any) -> dict:
    body = {
        "channel": "pos",
        "customer": {"phone": "13812345678", "name": "Li <Lei>"},
        "lines": [{"sku": "TEA", "qty": 2}, {"sku": "BUN", "qty": 1}],
        "fulfillment": {
            "type": "delivery",
            "address": {"text": "Room 5 & Co, People's Square", "lat": HOME[0] + 2 * KM,
                        "lng": HOME[1]},
        },
        **extra,
    }  # fmt: skip
    r = await tenant.post(ORDERS, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["location"] == "S1"
    return dict(r.json())


@pytest.fixture
async def shop(tenant, db):
    """S1 at HOME and S2 40 km north, each with 50 TEA and 50 BUN."""
    await add_skus(db, tenant.merchant_id, ["TEA", "BUN"])
    await add_location(db, tenant.merchant_id, "S1", lat=HOME[0], lng=HOME[1],
                       address="1 Nanjing Rd")  # fmt: skip
    await add_location(db, tenant.merchant_id, "S2", lat=HOME[0] + 40 * KM, lng=HOME[1])
    for code in ("S1", "S2"):
        for sku in ("TEA", "BUN"):
            await stock(tenant, code, sku, 50)
    return tenant
