"""A shop selling vouchers: stores, catalog SKUs, voucher products and paid orders."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from omniloop.shared.clock import utcnow
from omniloop.vouchers.issuing import issue_for_order_in, vouchers_of_order
from omniloop.vouchers.models import Voucher
from tests.support.factories import add_location, add_skus

PRODUCTS = "/api/v1/voucher-products"
VOUCHERS = "/api/v1/vouchers"
ORDERS = "/api/v1/orders"
PHONE = "+8613800138000"
CASH = {
    "sku": "V100",
    "kind": "cash",
    "face_value": 10000,
    "validity": {"days_after_purchase": 30},
}
"""¥100 to spend for ¥80 (the SKU's price), in one go."""
SET_MEAL = {
    "sku": "SET2",
    "kind": "set_meal",
    "items": [{"sku": "TEA", "qty": 2}, {"sku": "BUN", "qty": 2}],
    "validity": {"days_after_purchase": 30},
}
"""A set meal for two, sold for ¥128 (the SKU's price)."""


def redemptions(location: str) -> str:
    return f"/api/v1/locations/{location}/redemptions"


async def add_product(t: Any, **overrides: Any) -> dict[str, Any]:
    body = {**(SET_MEAL if overrides.get("kind") == "set_meal" else CASH), **overrides}
    r = await t.post(PRODUCTS, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def paid_order(t: Any, lines: list[tuple[str, int]], *, phone: str | None = None) -> dict:
    """A paid POS order for ``lines`` (at S1, where every SKU is stocked)."""
    body: dict[str, Any] = {
        "channel": "pos",
        "lines": [{"sku": sku, "qty": qty} for sku, qty in lines],
        "fulfillment": {"type": "pickup", "location": "S1"},
    }
    if phone:
        body["customer"] = {"phone": phone}
    r = await t.post(ORDERS, json=body)
    assert r.status_code == 201, r.text
    order = dict(r.json())
    assert order["payment_status"] == "paid"
    return order


async def issue(db: Any, t: Any, order: dict) -> list[Any]:
    """The order's vouchers, which its payment issued (orders call issue_for_order_in when
    they are paid); calling it again here must issue nothing more."""
    async with db.uow() as uow:
        again = await issue_for_order_in(
            uow.session,
            merchant_id=t.merchant_id,
            order_id=uuid.UUID(order["id"]),
            member_id=uuid.UUID(order["member_id"]) if order["member_id"] else None,
            lines=[(ln["sku"], ln["qty"], ln["total"] // ln["qty"]) for ln in order["lines"]],
            at=utcnow(),
        )
        assert again == [], "the payment issued every voucher already"
        await uow.commit()
    async with db.uow().read_only() as uow:
        return list(
            await uow.session.scalars(
                select(Voucher)
                .where(
                    Voucher.merchant_id == t.merchant_id, Voucher.order_id == uuid.UUID(order["id"])
                )
                .order_by(Voucher.sku, Voucher.unit_no)
            )
        )


async def backdate(db: Any, t: Any, order: dict, *, days: int) -> None:
    """Move the order's vouchers' validity ``days`` into the past."""
    async with db.uow() as uow:
        for voucher in await uow.session.scalars(
            select(Voucher).where(
                Voucher.merchant_id == t.merchant_id, Voucher.order_id == uuid.UUID(order["id"])
            )
        ):
            voucher.valid_until = voucher.valid_until - timedelta(days=days)
        await uow.commit()


async def of_order(db: Any, t: Any, order: dict, *, reveal: bool = True) -> list[dict]:
    async with db.uow().read_only() as uow:
        return await vouchers_of_order(
            uow.session, t.merchant_id, uuid.UUID(order["id"]), reveal_codes=reveal
        )


async def buy(
    db: Any, t: Any, sku: str = "V100", qty: int = 1, *, phone: str | None = None
) -> list[dict]:
    """Sell ``qty`` vouchers of ``sku`` and return them as the customer sees them (codes)."""
    order = await paid_order(t, [(sku, qty)], phone=phone)
    await issue(db, t, order)
    return await of_order(db, t, order)


@pytest.fixture
async def shop(tenant, db):
    """Stores S1, S2, S3; TEA and BUN at ¥15; V100 at ¥80 and SET2 at ¥128; all stocked at S1."""
    for code in ("S1", "S2", "S3"):
        await add_location(db, tenant.merchant_id, code)
    await add_skus(db, tenant.merchant_id, ["TEA", "BUN"], price=1500)
    await add_skus(db, tenant.merchant_id, ["V100"], price=8000)
    await add_skus(db, tenant.merchant_id, ["SET2"], price=12800)
    for sku in ("TEA", "BUN", "V100", "SET2"):
        r = await tenant.put(f"/api/v1/inventory/S1/{sku}", json={"on_hand": 100})
        assert r.status_code == 200, r.text
    return tenant
