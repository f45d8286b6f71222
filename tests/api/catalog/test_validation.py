from __future__ import annotations

import pytest

from tests.api.catalog.conftest import create_product, product_body, sku_body
from tests.support.events import events_of


@pytest.mark.parametrize(
    ("sku", "reason"),
    [
        (sku_body(price=-1), "negative price"),
        (sku_body(price=12.5), "fractional price"),
        (sku_body(price=12.0), "a float, even a whole one"),
        (sku_body(price="1200"), "a string"),
        (sku_body(price=True), "a boolean"),
        (sku_body(price=10**12 + 1), "absurd price"),
        (sku_body(currency="XXY"), "unknown currency"),
        (sku_body(currency="XAU"), "gold is no shop currency"),
        (sku_body(currency="CN"), "two letters"),
        (sku_body(code="has space"), "sku code with a space"),
        (sku_body(code="x" * 65), "sku code too long"),
        (sku_body(code=""), "empty sku code"),
        (sku_body(name=" "), "blank name"),
        (sku_body(color="red"), "unknown field"),
        (sku_body(price_overrides=[{"price": 100}]), "override without channel or location"),
        (sku_body(price_overrides=[{"channel": "POS", "price": 1}]), "upper-case channel"),
        (sku_body(price_overrides=[{"channel": "pos", "price": -5}]), "negative override"),
        (sku_body(price_overrides=[{"channel": "pos", "price": 9.9}]), "float override"),
        (
            sku_body(
                price_overrides=[
                    {
                        "channel": "pos",
                        "price": 1,
                        "starts_at": "2030-01-02T00:00:00Z",
                        "ends_at": "2030-01-01T00:00:00Z",
                    }
                ]
            ),
            "window ends before it starts",
        ),
        (
            sku_body(
                price_overrides=[{"channel": "pos", "price": 1, "starts_at": "2030-01-01T00:00:00"}]
            ),
            "naive timestamp",
        ),
        (
            sku_body(
                price_overrides=[{"channel": "pos", "price": 1}, {"channel": "pos", "price": 2}]
            ),
            "two overrides with the same scope and window",
        ),
    ],
)
async def test_invalid_skus_are_refused_with_422_and_nothing_written(tenant, db, sku, reason):
    r = await tenant.post("/api/v1/products", json=product_body(sku_body("OK-1"), sku))
    assert r.status_code == 422, reason
    problem = r.json()
    assert problem["code"] == "validation_error"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await tenant.get("/api/v1/products")).json()["items"] == []
    assert await events_of(db, tenant, "product.created") == []


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"skus": []}, "no SKU"),
        ({"name": ""}, "empty name"),
        ({"category": "x" * 101}, "category too long"),
        ({"image_url": "ftp://img.example.com/a.png"}, "not http(s)"),
        ({"image_url": "not a url"}, "not a URL"),
        ({"image_url": "https://x.example/" + "a" * 2000}, "URL too long"),
        ({"description": "x" * 5001}, "description too long"),
        ({"active": "maybe"}, "not a boolean"),
        ({"sku": "TEA-L"}, "unknown field"),
    ],
)
async def test_invalid_products_are_refused_with_422(tenant, fields, reason):
    r = await tenant.post("/api/v1/products", json=product_body(**fields))
    assert r.status_code == 422, reason
    assert r.json()["code"] == "validation_error"


async def test_a_product_without_skus_field_is_refused(tenant):
    r = await tenant.post("/api/v1/products", json={"name": "Tea", "category": "tea"})
    assert r.status_code == 422
    assert any(e["field"] == "skus" for e in r.json()["errors"])


async def test_malformed_json_is_a_400_problem(tenant):
    r = await tenant.post(
        "/api/v1/products",
        content=b'{"name": "Tea", "skus": [',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_json"


async def test_an_override_at_an_unknown_location_is_a_validation_error(stores, db):
    body = product_body(
        sku_body(price_overrides=[{"location": "S1", "price": 1}, {"location": "NOPE", "price": 2}])
    )
    r = await stores.post("/api/v1/products", json=body)
    assert r.status_code == 422
    assert r.json()["locations"] == ["NOPE"]
    assert await events_of(db, stores, "product.created") == []


async def test_an_override_at_another_merchants_location_is_a_validation_error(
    stores, other_tenant
):
    body = product_body(sku_body(price_overrides=[{"location": "S1", "price": 1}]))
    r = await other_tenant.post("/api/v1/products", json=body)
    assert r.status_code == 422


async def test_patch_validates_like_create(stores):
    created = await create_product(stores)
    url = f"/api/v1/products/{created['id']}"
    bad = [
        {"skus": [{"sku": "TEA-L", "price": -1}]},
        {"skus": [{"sku": "TEA-L", "price": 1.5}]},
        {"skus": [{"sku": "TEA-L", "currency": "XXY", "price": 1}]},
        {"skus": [{"sku": "TEA-L"}, {"sku": "TEA-L"}]},
        {"skus": [{"sku": "TEA-L", "price_overrides": [{"location": "NOPE", "price": 1}]}]},
        {"image_url": "javascript:alert(1)"},
        {"unknown": 1},
    ]
    for body in bad:
        r = await stores.patch(url, json=body)
        assert r.status_code == 422, (body, r.text)
    assert (await stores.get(url)).json() == created


async def test_malformed_product_ids_are_refused_not_crashed(tenant):
    for path in ("/api/v1/products/not-a-uuid", "/api/v1/products/123"):
        r = await tenant.get(path)
        assert r.status_code in (404, 422)
        r = await tenant.patch(path, json={"name": "x"})
        assert r.status_code in (404, 422)


async def test_list_query_parameters_are_bounded(tenant):
    for query in ("?limit=0", "?limit=501", "?limit=ten", "?active=perhaps", "?q="):
        r = await tenant.get(f"/api/v1/products{query}")
        assert r.status_code == 422, query
