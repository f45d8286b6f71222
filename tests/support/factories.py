"""Factories that put rows straight into the database, for tests of other domains."""

from __future__ import annotations

import uuid
from typing import Any

from omniloop.catalog.models import Product, Sku
from omniloop.db import Database
from omniloop.locations.models import Location


async def add_location(db: Database, merchant_id: uuid.UUID, code: str, **fields: Any) -> Location:
    values: dict[str, Any] = {
        "name": f"Store {code}",
        "kind": "store",
        "lat": 31.2304,
        "lng": 121.4737,
        "timezone": "Asia/Shanghai",
        "service_radius_km": 5.0,
        "priority": 0,
        "active": True,
    }
    values.update(fields)
    location = Location(merchant_id=merchant_id, code=code, **values)
    async with db.uow() as uow:
        uow.session.add(location)
        await uow.commit()
    return location


async def add_skus(
    db: Database, merchant_id: uuid.UUID, skus: list[str], *, price: int = 1000
) -> Product:
    product = Product(
        id=uuid.uuid4(), merchant_id=merchant_id, name="Product", category="test", active=True
    )
    async with db.uow() as uow:
        uow.session.add(product)
        await uow.session.flush()
        for code in skus:
            uow.session.add(
                Sku(
                    merchant_id=merchant_id,
                    sku=code,
                    product_id=product.id,
                    name=code,
                    price=price,
                    currency="CNY",
                    active=True,
                )
            )
        await uow.commit()
    return product
