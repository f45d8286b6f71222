import pytest

from tests.support.factories import add_location, add_skus


@pytest.fixture
async def chain(tenant, db):
    """Two stores 2 km apart near People's Square with TEA and BUN in stock, no opening hours."""
    await add_location(db, tenant.merchant_id, "S1", lat=31.2304, lng=121.4737, priority=1)
    await add_location(db, tenant.merchant_id, "S2", lat=31.2480, lng=121.4737, priority=5)
    await add_skus(db, tenant.merchant_id, ["TEA", "BUN"], price=1500)
    for loc in ("S1", "S2"):
        for sku in ("TEA", "BUN"):
            r = await tenant.put(f"/api/v1/inventory/{loc}/{sku}", json={"on_hand": 10})
            assert r.status_code == 200, r.text
    return tenant


def order_body(**overrides):
    body = {
        "channel": "own_app",
        "customer": {"phone": "13812345678", "name": "王小明"},
        "lines": [{"sku": "TEA", "qty": 2}, {"sku": "BUN", "qty": 1}],
        "fulfillment": {"type": "pickup", "location": "S1"},
    }
    body.update(overrides)
    return body


async def stock(t, location, sku):
    row = (await t.get(f"/api/v1/inventory/{location}/{sku}")).json()
    return row["on_hand"], row["reserved"]
