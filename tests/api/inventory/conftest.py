import pytest

from tests.support.factories import add_location, add_skus


@pytest.fixture
async def shop(tenant, db):
    """A tenant with stores S1, S2 and SKUs TEA, BUN, CAKE (no stock yet)."""
    await add_location(db, tenant.merchant_id, "S1")
    await add_location(db, tenant.merchant_id, "S2", lat=31.24, lng=121.50)
    await add_skus(db, tenant.merchant_id, ["TEA", "BUN", "CAKE"])
    return tenant


async def stock(t, location, sku, on_hand, **extra):
    r = await t.put(f"/api/v1/inventory/{location}/{sku}", json={"on_hand": on_hand, **extra})
    assert r.status_code == 200, r.text
    return r.json()
