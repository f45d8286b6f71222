from __future__ import annotations

import uuid

from tests.api.catalog.conftest import create_product, product_body, sku_body


async def test_another_merchant_cannot_see_or_change_a_product(stores, other_tenant, db):
    created = await create_product(
        stores, sku_body("TEA-L", 1500, price_overrides=[{"location": "S1", "price": 1400}])
    )
    url = f"/api/v1/products/{created['id']}"

    r = await other_tenant.get(url)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = await other_tenant.patch(url, json={"name": "Hijacked"})
    assert r.status_code == 404
    r = await other_tenant.get("/api/v1/prices?sku=TEA-L")
    assert r.status_code == 404
    r = await other_tenant.get("/api/v1/prices?sku=TEA-L&location=S1")
    assert r.status_code == 404
    assert (await other_tenant.get("/api/v1/products")).json()["items"] == []
    assert (await other_tenant.get("/api/v1/products?q=jasmine")).json()["items"] == []

    assert (await stores.get(url)).json() == created


async def test_lists_show_only_the_callers_products(tenant, other_tenant):
    mine = await create_product(tenant, sku_body("A"))
    theirs = await create_product(other_tenant, sku_body("A"))
    assert [p["id"] for p in (await tenant.get("/api/v1/products")).json()["items"]] == [mine["id"]]
    assert [p["id"] for p in (await other_tenant.get("/api/v1/products")).json()["items"]] == [
        theirs["id"]
    ]


async def test_an_unknown_product_is_404(tenant):
    r = await tenant.get(f"/api/v1/products/{uuid.uuid4()}")
    assert r.status_code == 404
    r = await tenant.patch(f"/api/v1/products/{uuid.uuid4()}", json={"name": "x"})
    assert r.status_code == 404


async def test_store_staff_read_the_catalog_but_cannot_write_it(stores):
    created = await create_product(stores, sku_body("TEA-L", 1500))
    staff = await stores.key_for("store_staff", ["S1"])

    assert (await stores.get("/api/v1/products", key=staff)).status_code == 200
    assert (await stores.get(f"/api/v1/products/{created['id']}", key=staff)).status_code == 200
    assert (await stores.get("/api/v1/prices?sku=TEA-L&location=S1", key=staff)).status_code == 200

    r = await stores.post("/api/v1/products", json=product_body(sku_body("NEW")), key=staff)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await stores.patch(f"/api/v1/products/{created['id']}", json={"name": "x"}, key=staff)
    assert r.status_code == 403
    assert (await stores.get(f"/api/v1/products/{created['id']}")).json() == created


async def test_integrators_and_operators_write_the_catalog(tenant):
    for role, code in (("integrator", "ERP-1"), ("operator", "OPS-1")):
        key = await tenant.key_for(role)
        r = await tenant.post("/api/v1/products", json=product_body(sku_body(code)), key=key)
        assert r.status_code == 201, (role, r.text)
        r = await tenant.patch(
            f"/api/v1/products/{r.json()['id']}", json={"active": False}, key=key
        )
        assert r.status_code == 200, role


async def test_callers_without_a_valid_key_are_401(client, tenant):
    created = await create_product(tenant)
    for method, url in (
        ("GET", "/api/v1/products"),
        ("POST", "/api/v1/products"),
        ("GET", f"/api/v1/products/{created['id']}"),
        ("PATCH", f"/api/v1/products/{created['id']}"),
        ("GET", "/api/v1/prices?sku=TEA-L"),
    ):
        r = await client.request(method, url, json=product_body())
        assert r.status_code == 401, (method, url)
        r = await client.request(
            method,
            url,
            json=product_body(),
            headers={"Authorization": "Bearer olk_not-a-real-key-at-all"},
        )
        assert r.status_code == 401, (method, url)
