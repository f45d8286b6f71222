"""Members with codes, and stores to scan them at."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from omniloop.member_codes.models import MemberCode
from tests.api.customer_auth.conftest import OTHER_PHONE, PHONE, sign_in
from tests.support.factories import add_location

__all__ = ["OTHER_PHONE", "PHONE"]


def code_url(member_id: str) -> str:
    return f"/api/v1/members/{member_id}/member-code"


def scans_url(location: str) -> str:
    return f"/api/v1/locations/{location}/member-scans"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def shop(tenant, db):
    """Stores S1 and S2."""
    await add_location(db, tenant.merchant_id, "S1")
    await add_location(db, tenant.merchant_id, "S2")
    return tenant


async def member_code(t: Any, customer: dict[str, Any]) -> dict[str, Any]:
    """The customer's current member code, fetched with their own token."""
    r = await t.client.get(
        code_url(customer["member_id"]), headers=bearer(customer["access_token"])
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def fresh_code(t: Any, phone: str = PHONE) -> tuple[dict[str, Any], str]:
    """A signed-in customer and their current code."""
    customer = await sign_in(t, phone)
    return customer, (await member_code(t, customer))["code"]


async def age_codes(db: Any, t: Any, member_id: str, *, seconds: float) -> None:
    """Move a member's codes ``seconds`` into the past."""
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(MemberCode).where(
                MemberCode.merchant_id == t.merchant_id,
                MemberCode.member_id == uuid.UUID(member_id),
            )
        )
        for row in rows:
            row.created_at -= timedelta(seconds=seconds)
            row.expires_at -= timedelta(seconds=seconds)
        await uow.commit()


def forge(code: str) -> str:
    """The same code with one random digit changed (its signature no longer matches)."""
    digit = str((int(code[5]) + 1) % 10)
    return code[:5] + digit + code[6:]
