import uuid

from tests.api.inventory.conftest import stock


async def test_store_staff_act_only_for_their_own_locations(shop):
    await stock(shop, "S1", "TEA", 5)
    await stock(shop, "S2", "TEA", 5)
    staff = await shop.key_for("store_staff", ["S1"])
    assert (
        await shop.put("/api/v1/inventory/S1/TEA", json={"on_hand": 6}, key=staff)
    ).status_code == 200
    denied = await shop.put("/api/v1/inventory/S2/TEA", json={"on_hand": 6}, key=staff)
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    assert (await shop.get("/api/v1/inventory/S2/TEA", key=staff)).status_code == 403
    listed = (await shop.get("/api/v1/inventory", key=staff)).json()["items"]
    assert {i["location"] for i in listed} == {"S1"}
    r = await shop.post(
        "/api/v1/reservations",
        json={"location": "S2", "lines": [{"sku": "TEA", "qty": 1}]},
        key=staff,
    )
    assert r.status_code == 403
    rid = (
        await shop.post(
            "/api/v1/reservations", json={"location": "S2", "lines": [{"sku": "TEA", "qty": 1}]}
        )
    ).json()["id"]
    assert (await shop.post(f"/api/v1/reservations/{rid}/commit", key=staff)).status_code == 403
    assert (await shop.get("/api/v1/inventory/S2/TEA")).json()["reserved"] == 1


async def test_integrators_reserve_and_adjust_but_cannot_manage_keys(shop):
    await stock(shop, "S1", "TEA", 5)
    key = await shop.key_for("integrator")
    r = await shop.post(
        "/api/v1/reservations",
        json={"location": "S1", "lines": [{"sku": "TEA", "qty": 1}]},
        key=key,
    )
    assert r.status_code == 201
    assert (await shop.get("/api/v1/api-keys", key=key)).status_code == 403


async def test_another_merchant_sees_nothing_and_changes_nothing(shop, other_tenant):
    await stock(shop, "S1", "TEA", 5)
    rid = (
        await shop.post(
            "/api/v1/reservations", json={"location": "S1", "lines": [{"sku": "TEA", "qty": 1}]}
        )
    ).json()["id"]
    assert (await other_tenant.get(f"/api/v1/reservations/{rid}")).status_code == 404
    assert (await other_tenant.post(f"/api/v1/reservations/{rid}/commit")).status_code == 404
    assert (await other_tenant.post(f"/api/v1/reservations/{rid}/release")).status_code == 404
    assert (await other_tenant.get("/api/v1/inventory/S1/TEA")).status_code == 404
    assert (
        await other_tenant.put("/api/v1/inventory/S1/TEA", json={"on_hand": 0})
    ).status_code == 404
    assert (await other_tenant.get("/api/v1/inventory")).json()["items"] == []
    r = await other_tenant.post(
        "/api/v1/reservations", json={"location": "S1", "lines": [{"sku": "TEA", "qty": 1}]}
    )
    assert r.status_code == 422
    row = (await shop.get("/api/v1/inventory/S1/TEA")).json()
    assert (row["on_hand"], row["reserved"]) == (5, 1)
    assert (await other_tenant.get(f"/api/v1/reservations/{uuid.uuid4()}")).status_code == 404


async def test_requests_without_a_valid_key_are_unauthorized(shop, client):
    assert (await client.get("/api/v1/inventory")).status_code == 401
    r = await client.get(
        "/api/v1/inventory", headers={"Authorization": "Bearer not-a-real-key-123"}
    )
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert r.headers["content-type"].startswith("application/problem+json")
