"""Customers order and pay as themselves; a scanned member code lets a POS use their balance."""

from tests.api.customer_auth.conftest import OTHER_PHONE, sign_in
from tests.api.member_codes.conftest import bearer
from tests.api.tenders.conftest import PHONE, balances, grant


def _own_app(**extra):
    return {
        "channel": "own_app",
        "lines": [{"sku": "TEA", "qty": 2}],
        "fulfillment": {"type": "pickup", "location": "S1"},
        **extra,
    }


async def test_a_customer_orders_as_themself_with_their_wallet_and_sees_only_their_orders(db, shop):
    await grant(db, shop, wallet=5000)
    me = await sign_in(shop, PHONE)
    assert me["member_id"] == shop.member_id
    mine = bearer(me["access_token"])
    r = await shop.client.post(
        "/api/v1/orders", json=_own_app(tenders={"wallet": 3000}), headers=mine
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["member_id"] == shop.member_id and order["status"] == "paid"
    assert order["pickup_code"]  # the customer's own proof of purchase
    assert await balances(shop) == (0, 2000, 0)

    other = bearer((await sign_in(shop, OTHER_PHONE))["access_token"])
    assert (
        await shop.client.get(f"/api/v1/orders/{order['id']}", headers=other)
    ).status_code == 404
    listed = (await shop.client.get("/api/v1/orders", headers=other)).json()["items"]
    assert listed == []
    listed = (await shop.client.get("/api/v1/orders", headers=mine)).json()["items"]
    assert [o["id"] for o in listed] == [order["id"]]
    # Someone else's wallet is out of reach even when named.
    r = await shop.client.post(
        "/api/v1/orders",
        json=_own_app(member_id=shop.member_id, tenders={"wallet": 100}),
        headers=other,
    )
    assert r.status_code == 403, r.text
    for path in ("points", "wallet"):
        r = await shop.client.get(f"/api/v1/members/{shop.member_id}/{path}", headers=other)
        assert r.status_code == 403, r.text


async def test_customers_cannot_ring_up_pos_or_platform_orders(shop):
    mine = bearer((await sign_in(shop, PHONE))["access_token"])
    body = _own_app(channel="pos")
    r = await shop.client.post("/api/v1/orders", json=body, headers=mine)
    assert r.status_code == 403, r.text


async def test_a_customer_pays_the_rest_of_their_own_order(app, db, shop, gateway):

    await grant(db, shop, points=500)
    me = bearer((await sign_in(shop, PHONE))["access_token"])
    order = (
        await shop.client.post("/api/v1/orders", json=_own_app(tenders={"points": 500}), headers=me)
    ).json()
    assert order["amount_due"] == 2500
    r = await shop.client.post(
        f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"}, headers=me
    )
    assert r.status_code == 201 and r.json()["amount"] == 2500, r.text
    other = bearer((await sign_in(shop, OTHER_PHONE))["access_token"])
    r = await shop.client.post(
        f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"}, headers=other
    )
    assert r.status_code == 404, r.text


async def test_a_scanned_member_code_lets_the_pos_take_the_wallet_once(db, shop):
    await grant(db, shop, wallet=10_000)
    me = await sign_in(shop, PHONE)
    code = (
        await shop.client.get(
            f"/api/v1/members/{shop.member_id}/member-code", headers=bearer(me["access_token"])
        )
    ).json()["code"]
    staff = await shop.key_for("store_staff", ["S1"])
    r = await shop.post("/api/v1/locations/S1/member-scans", json={"member_code": code}, key=staff)
    assert r.status_code == 201, r.text
    scan = r.json()["scan_id"]
    pos = {
        "channel": "pos",
        "member_scan_id": scan,
        "lines": [{"sku": "TEA", "qty": 2}],
        "fulfillment": {"type": "dine_in", "location": "S1"},
        "tenders": {"wallet": 3000},
    }
    r = await shop.post("/api/v1/orders", json=pos, key=staff)
    assert r.status_code == 201, r.text
    assert r.json()["member_id"] == shop.member_id and r.json()["status"] == "paid"
    assert await balances(shop) == (0, 7000, 0)
    r = await shop.post("/api/v1/orders", json=pos, key=staff)  # the scan served its order
    assert r.status_code == 409 and r.json()["code"] == "member_scan_invalid", r.text
    assert await balances(shop) == (0, 7000, 0)


async def test_a_customer_cancels_their_unpaid_order_and_gets_their_points_back(db, shop):
    await grant(db, shop, points=1000)
    me = bearer((await sign_in(shop, PHONE))["access_token"])
    order = (
        await shop.client.post(
            "/api/v1/orders", json=_own_app(tenders={"points": 1000}), headers=me
        )
    ).json()
    assert (await balances(shop))[0] == 0
    url = f"/api/v1/orders/{order['id']}/transitions"
    other = bearer((await sign_in(shop, OTHER_PHONE))["access_token"])
    assert (
        await shop.client.post(url, json={"action": "cancel"}, headers=other)
    ).status_code == 404
    r = await shop.client.post(url, json={"action": "accept"}, headers=me)
    assert r.status_code == 403, r.text
    r = await shop.client.post(url, json={"action": "cancel"}, headers=me)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert (await balances(shop))[0] == 1000


async def test_a_customer_cannot_cancel_a_paid_order(db, shop):
    await grant(db, shop, wallet=3000)
    me = bearer((await sign_in(shop, PHONE))["access_token"])
    order = (
        await shop.client.post(
            "/api/v1/orders", json=_own_app(tenders={"wallet": 3000}), headers=me
        )
    ).json()
    assert order["status"] == "paid"
    r = await shop.client.post(
        f"/api/v1/orders/{order['id']}/transitions", json={"action": "cancel"}, headers=me
    )
    assert r.status_code == 403, r.text
