import uuid

import pytest

from omniloop.loyalty.domain import PointsKind, WalletKind
from omniloop.loyalty.ledger import post_points_in, post_wallet_in
from tests.api.payments.conftest import deliver, gateway  # noqa: F401
from tests.support.factories import add_location, add_skus

PHONE = "+8613800138000"


@pytest.fixture
async def shop(tenant, db):
    """Store S1 with TEA and BUN at 15.00 (plenty on hand) and one member, Ming."""
    await add_location(db, tenant.merchant_id, "S1")
    await add_skus(db, tenant.merchant_id, ["TEA", "BUN"], price=1500)
    for sku in ("TEA", "BUN"):
        r = await tenant.put(f"/api/v1/inventory/S1/{sku}", json={"on_hand": 500})
        assert r.status_code == 200, r.text
    r = await tenant.post(
        "/api/v1/members", json={"phone": PHONE, "name": "Ming", "channel": "own_app"}
    )
    assert r.status_code in (200, 201), r.text
    tenant.member_id = r.json()["id"]
    return tenant


async def grant(db, t, *, points=0, wallet=0, bonus=0):
    """Give the shop's member points and stored value straight through the ledgers."""
    async with db.uow() as uow:
        member = uuid.UUID(t.member_id)
        if points:
            await post_points_in(
                uow.session,
                merchant_id=t.merchant_id,
                member_id=member,
                points=points,
                kind=PointsKind.ADJUST,
                actor="test",
            )
        if wallet or bonus:
            await post_wallet_in(
                uow.session,
                merchant_id=t.merchant_id,
                member_id=member,
                principal=wallet,
                bonus=bonus,
                kind=WalletKind.TOP_UP,
                currency="CNY",
                actor="test",
            )
        await uow.commit()


async def balances(t):
    points = (await t.get(f"/api/v1/members/{t.member_id}/points")).json()
    wallet = (await t.get(f"/api/v1/members/{t.member_id}/wallet")).json()
    return points["balance"], wallet["principal"], wallet["bonus"]


def body(t, *, channel="own_app", tenders=None, lines=None, **extra):
    b = {
        "channel": channel,
        "member_id": t.member_id,
        "lines": lines or [{"sku": "TEA", "qty": 2}],
        "fulfillment": {"type": "dine_in" if channel == "pos" else "pickup", "location": "S1"},
    }
    if tenders is not None:
        b["tenders"] = tenders
    b.update(extra)
    return b


async def place(t, expect=201, **kwargs):
    r = await t.post("/api/v1/orders", json=body(t, **kwargs))
    assert r.status_code == expect, r.text
    return r.json()


async def pay_rest(app, http, t, order):
    """Pay what the tenders left through the sandbox and deliver the callback."""
    r = await t.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"})
    assert r.status_code == 201, r.text
    payment = r.json()
    assert payment["amount"] == order["amount_due"]
    assert (await t.post(f"/api/v1/sandbox/payments/{payment['id']}/succeed")).status_code == 202
    assert await deliver(app, http) >= 1
    return (await t.get(f"/api/v1/orders/{order['id']}")).json()


async def complete(t, order_id):
    for action in ("accept", "start", "ready", "complete"):
        r = await t.post(f"/api/v1/orders/{order_id}/transitions", json={"action": action})
        assert r.status_code == 200, r.text
    return r.json()
