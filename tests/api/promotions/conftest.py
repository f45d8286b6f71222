"""A shop for coupon and promotion tests: two stores, drinks and bakery, members, templates."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from omniloop.catalog.models import Product, Sku
from omniloop.loyalty.ledger import ensure_account_in
from omniloop.promotions.models import Coupon
from omniloop.shared.clock import utcnow
from tests.api.customer_auth.conftest import sign_in
from tests.support.factories import add_location

PHONE = "+8613800138000"
OTHER_PHONE = "+8613900139000"
TEMPLATES = "/api/v1/coupon-templates"
PROMOTIONS = "/api/v1/promotions"
QUOTE = "/api/v1/pricing/quote"

PRICES = {"TEA": ("drinks", 1500), "LATTE": ("drinks", 2800), "BUN": ("bakery", 800)}


async def add_product(db: Any, merchant_id: uuid.UUID, category: str, skus: dict[str, int]) -> None:
    product = Product(
        id=uuid.uuid4(), merchant_id=merchant_id, name=category, category=category, active=True
    )
    async with db.uow() as uow:
        uow.session.add(product)
        await uow.session.flush()
        for code, price in skus.items():
            uow.session.add(
                Sku(
                    merchant_id=merchant_id,
                    sku=code,
                    product_id=product.id,
                    name=code.title(),
                    price=price,
                    currency="CNY",
                    active=True,
                )
            )
        await uow.commit()


@pytest.fixture
async def shop(tenant, db):
    """Stores S1 and S2; TEA 15.00 and LATTE 28.00 (drinks), BUN 8.00 (bakery)."""
    await add_location(db, tenant.merchant_id, "S1")
    await add_location(db, tenant.merchant_id, "S2")
    await add_product(db, tenant.merchant_id, "drinks", {"TEA": 1500, "LATTE": 2800})
    await add_product(db, tenant.merchant_id, "bakery", {"BUN": 800})
    return tenant


def template_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "¥5 off",
        "kind": "fixed_amount",
        "amount": 500,
        "days_after_grant": 7,
    }
    body.update(changes)
    return body


async def new_template(t: Any, **changes: Any) -> dict[str, Any]:
    r = await t.post(TEMPLATES, json=template_body(**changes))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def new_member(t: Any, phone: str = PHONE) -> str:
    r = await t.post("/api/v1/members", json={"phone": phone, "name": "Ming", "channel": "pos"})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


async def customer(t: Any, phone: str = PHONE) -> tuple[str, str]:
    """A signed-in customer: (member id, bearer token)."""
    me = await sign_in(t, phone)
    return str(me["member_id"]), str(me["access_token"])


def grants_url(template_id: str) -> str:
    return f"{TEMPLATES}/{template_id}/grants"


def claims_url(template_id: str) -> str:
    return f"{TEMPLATES}/{template_id}/claims"


def coupons_url(member_id: str) -> str:
    return f"/api/v1/members/{member_id}/coupons"


async def grant_one(t: Any, template_id: str, member_id: str) -> dict[str, Any]:
    r = await t.post(grants_url(template_id), json={"member_id": member_id})
    assert r.status_code == 201, r.text
    assert r.json()["granted"] == 1, r.text
    return dict(r.json()["coupons"][0])


async def set_tier(db: Any, t: Any, member_id: str, tier: str) -> None:
    async with db.uow() as uow:
        account = await ensure_account_in(uow.session, t.merchant_id, uuid.UUID(member_id))
        account.tier = tier
        await uow.commit()


async def age_coupon(db: Any, t: Any, code: str) -> None:
    """Make a coupon's validity end a minute ago."""
    async with db.uow() as uow:
        await uow.session.execute(
            update(Coupon)
            .where(Coupon.merchant_id == t.merchant_id, Coupon.code == code)
            .values(valid_until=utcnow() - timedelta(minutes=1))
        )
        await uow.commit()
