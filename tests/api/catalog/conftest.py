from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import add_location


def sku_body(code: str = "TEA-L", price: int = 1500, **fields: Any) -> dict[str, Any]:
    return {"sku": code, "name": f"{code} name", "price": price, **fields}


def product_body(*skus: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Jasmine milk tea",
        "category": "tea",
        "skus": list(skus) or [sku_body()],
    }
    body.update(fields)
    return body


async def create_product(tenant: Any, *skus: dict[str, Any], **fields: Any) -> dict[str, Any]:
    r = await tenant.post("/api/v1/products", json=product_body(*skus, **fields))
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
async def stores(tenant, db):
    """The tenant with stores S1 and S2."""
    await add_location(db, tenant.merchant_id, "S1")
    await add_location(db, tenant.merchant_id, "S2")
    return tenant
