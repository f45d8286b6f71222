import httpx
import pytest

from omniloop.payments.sandbox import deliver_sandbox_callbacks
from tests.support.factories import add_location, add_skus


@pytest.fixture
async def shop(tenant, db):
    """Store S1 with TEA and BUN at 15.00, ten of each on hand."""
    await add_location(db, tenant.merchant_id, "S1")
    await add_skus(db, tenant.merchant_id, ["TEA", "BUN"], price=1500)
    for sku in ("TEA", "BUN"):
        r = await tenant.put(f"/api/v1/inventory/S1/{sku}", json={"on_hand": 10})
        assert r.status_code == 200, r.text
    return tenant


@pytest.fixture
async def gateway(app):
    """An HTTP client the sandbox delivers its callbacks through: they really hit the app."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def deliver(app, http) -> int:
    return await deliver_sandbox_callbacks(
        db=app.state.db,
        settings=app.state.settings.model_copy(update={"public_base_url": "http://testserver"}),
        http=http,
    )


async def place_order(t, lines=None, **fulfillment):
    body = {
        "channel": "own_app",
        "customer": {"phone": "13812345678"},
        "lines": lines or [{"sku": "TEA", "qty": 2}, {"sku": "BUN", "qty": 1}],
        "fulfillment": {"type": "pickup", "location": "S1", **fulfillment},
    }
    r = await t.post("/api/v1/orders", json=body)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "pending_payment", order
    return order


async def open_payment(t, order_id):
    r = await t.post(f"/api/v1/orders/{order_id}/payments", json={"provider": "sandbox"})
    assert r.status_code == 201, r.text
    return r.json()


async def stock(t, sku, location="S1"):
    row = (await t.get(f"/api/v1/inventory/{location}/{sku}")).json()
    return row["on_hand"], row["reserved"]


async def paid_order(app, t, http, **kwargs):
    """An order paid through the sandbox, callback delivered; returns (order, payment)."""
    order = await place_order(t, **kwargs)
    payment = await open_payment(t, order["id"])
    r = await t.post(f"/api/v1/sandbox/payments/{payment['id']}/succeed")
    assert r.status_code == 202, r.text
    assert await deliver(app, http) >= 1
    order = (await t.get(f"/api/v1/orders/{order['id']}")).json()
    assert order["status"] == "paid", order
    return order, payment
