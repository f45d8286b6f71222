"""Helpers for loyalty API tests: members, ledger grants, a valid program document."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

from omniloop.locations.models import Location
from omniloop.loyalty.domain import DEFAULT_PROGRAM, PointsKind, WalletKind
from omniloop.loyalty.ledger import post_points_in, post_wallet_in
from omniloop.loyalty.program_rules import program_to_config
from tests.support.factories import add_location

PHONE = "+8613800138000"
OTHER_PHONE = "+8613900139000"
PROGRAM = "/api/v1/loyalty-program"


def points_url(member_id: str) -> str:
    return f"/api/v1/members/{member_id}/points"


def wallet_url(member_id: str) -> str:
    return f"/api/v1/members/{member_id}/wallet"


def adjustments_url(member_id: str) -> str:
    return f"/api/v1/members/{member_id}/points/adjustments"


async def staff_key(db: Any, t: Any, role: str) -> str:
    """A key of ``role``; store staff work at store S1 (made here if need be)."""
    if role != "store_staff":
        return str(await t.key_for(role))
    async with db.uow().read_only() as uow:
        exists = await uow.session.get(Location, (t.merchant_id, "S1"))
    if exists is None:
        await add_location(db, t.merchant_id, "S1")
    return str(await t.key_for(role, ["S1"]))


async def new_member(t: Any, phone: str = PHONE) -> str:
    r = await t.post("/api/v1/members", json={"phone": phone, "name": "Ming", "channel": "pos"})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


async def grant_points(
    db: Any, t: Any, member_id: str, points: int, *, expires_at: datetime | None = None
) -> None:
    async with db.uow() as uow:
        await post_points_in(
            uow.session,
            merchant_id=t.merchant_id,
            member_id=uuid.UUID(member_id),
            points=points,
            kind=PointsKind.EARN,
            actor="test",
            expires_at=expires_at,
        )
        await uow.commit()


async def grant_wallet(db: Any, t: Any, member_id: str, principal: int, bonus: int) -> None:
    async with db.uow() as uow:
        await post_wallet_in(
            uow.session,
            merchant_id=t.merchant_id,
            member_id=uuid.UUID(member_id),
            principal=principal,
            bonus=bonus,
            kind=WalletKind.TOP_UP,
            currency="CNY",
            actor="test",
        )
        await uow.commit()


def program_document(**changes: Any) -> dict[str, Any]:
    """The default program as a PUT body, with ``changes`` applied on top."""
    document = copy.deepcopy(program_to_config(DEFAULT_PROGRAM))
    document.update(changes)
    return document
