async def test_owner_issues_a_key_that_is_shown_once_and_stored_hashed(tenant, db):
    r = await tenant.post("/api/v1/api-keys", json={"role": "integrator", "label": "ERP"})
    assert r.status_code == 201
    created = r.json()
    secret = created["key"]
    listed = (await tenant.get("/api/v1/api-keys")).json()["items"]
    assert all("key" not in k for k in listed)
    assert {k["role"] for k in listed} == {"owner", "integrator"}
    assert secret not in str(listed)
    assert (await tenant.get("/api/v1/inventory", key=secret)).status_code == 200


async def test_revoked_keys_stop_working_at_once(tenant):
    secret = await tenant.key_for("operator")
    key_id = next(
        k["id"]
        for k in (await tenant.get("/api/v1/api-keys")).json()["items"]
        if k["role"] == "operator"
    )
    r = await tenant.delete(f"/api/v1/api-keys/{key_id}")
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert (await tenant.get("/api/v1/inventory", key=secret)).status_code == 401


async def test_only_owners_manage_keys(tenant):
    for role in ("operator", "integrator"):
        key = await tenant.key_for(role)
        assert (
            await tenant.post("/api/v1/api-keys", json={"role": "owner"}, key=key)
        ).status_code == 403
        assert (await tenant.get("/api/v1/api-keys", key=key)).status_code == 403


async def test_store_staff_keys_must_name_known_locations(tenant):
    r = await tenant.post("/api/v1/api-keys", json={"role": "store_staff"})
    assert r.status_code == 422
    r = await tenant.post("/api/v1/api-keys", json={"role": "store_staff", "locations": ["NOPE"]})
    assert r.status_code == 422 and "NOPE" in r.json()["detail"]
    r = await tenant.post("/api/v1/api-keys", json={"role": "operator", "locations": ["S1"]})
    assert r.status_code == 422


async def test_a_merchant_cannot_revoke_another_merchants_key(tenant, other_tenant):
    own = (await tenant.get("/api/v1/api-keys")).json()["items"][0]["id"]
    assert (await other_tenant.delete(f"/api/v1/api-keys/{own}")).status_code == 404
    assert (await tenant.get("/api/v1/api-keys")).json()["items"][0]["revoked_at"] is None


async def test_every_response_carries_a_request_id(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert r.headers["x-request-id"] == "trace-123"
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 32
