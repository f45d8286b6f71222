"""The promise of issue 4: many buyers spending one member's wallet and points at once, from
several server processes, never take either below zero or spend a unit twice."""

import asyncio
import uuid

import httpx
import pytest

from omniloop.loyalty.check import check_loyalty
from omniloop.loyalty.domain import PointsKind, WalletKind
from omniloop.loyalty.ledger import post_points_in, post_wallet_in
from omniloop.payments.check import check_payments
from tests.support.factories import add_location, add_skus
from tests.support.server import running_server, worker_pids

pytestmark = pytest.mark.slow

WORKERS = 4
WALLET_ORDERS, WALLET_BUYERS = 10, 80  # the wallet pays exactly 10 orders of 30.00
POINTS_ORDERS, POINTS_BUYERS = 5, 60  # the points pay exactly 5 tenders of 1,000


async def test_one_members_balances_are_spent_exactly_once_across_worker_processes(
    tenant, db, database_url, tmp_path
):
    await add_location(db, tenant.merchant_id, "S1")
    await add_skus(db, tenant.merchant_id, ["TEA"], price=1500)
    assert (
        await tenant.put("/api/v1/inventory/S1/TEA", json={"on_hand": 10_000})
    ).status_code == 200
    r = await tenant.post(
        "/api/v1/members", json={"phone": "13800138000", "name": "Ming", "channel": "pos"}
    )
    member_id = r.json()["id"]
    async with db.uow() as uow:
        member = uuid.UUID(member_id)
        await post_points_in(
            uow.session,
            merchant_id=tenant.merchant_id,
            member_id=member,
            points=POINTS_ORDERS * 1000,
            kind=PointsKind.ADJUST,
            actor="test",
        )
        await post_wallet_in(
            uow.session,
            merchant_id=tenant.merchant_id,
            member_id=member,
            principal=WALLET_ORDERS * 2500,
            bonus=WALLET_ORDERS * 500,
            kind=WalletKind.TOP_UP,
            currency="CNY",
            actor="test",
        )
        await uow.commit()
    headers = {"Authorization": f"Bearer {tenant.owner_key}"}

    def order(tenders):
        return {
            "channel": "own_app",
            "member_id": member_id,
            "lines": [{"sku": "TEA", "qty": 2}],
            "fulfillment": {"type": "pickup", "location": "S1"},
            "tenders": tenders,
        }

    with running_server(database_url, workers=WORKERS, log=tmp_path / "server.log") as base:
        buyers = WALLET_BUYERS + POINTS_BUYERS
        limits = httpx.Limits(max_connections=buyers, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            workers = worker_pids(base.pid)

            async def buy(tenders):
                r = await http.post("/api/v1/orders", json=order(tenders), headers=headers)
                return r.status_code, r.json().get("code")

            wallet_buys = [buy({"wallet": 3000}) for _ in range(WALLET_BUYERS)]
            points_buys = [buy({"points": 1000}) for _ in range(POINTS_BUYERS)]
            results = await asyncio.gather(*wallet_buys, *points_buys)

    assert len(workers) >= WORKERS, f"expected {WORKERS} worker processes, saw {workers}"
    wallet, points = results[:WALLET_BUYERS], results[WALLET_BUYERS:]
    assert [s for s, _ in wallet].count(201) == WALLET_ORDERS
    assert {c for s, c in wallet if s != 201} == {"insufficient_wallet"}
    assert [s for s, _ in points].count(201) == POINTS_ORDERS
    assert {c for s, c in points if s != 201} == {"insufficient_points"}
    statement = (await tenant.get(f"/api/v1/members/{member_id}/wallet")).json()
    assert (statement["principal"], statement["bonus"]) == (0, 0)
    assert (await tenant.get(f"/api/v1/members/{member_id}/points")).json()["balance"] == 0
    _, problems = await check_loyalty(uow=db.uow(), merchant_id=tenant.merchant_id)
    assert problems == []
    _, problems = await check_payments(uow=db.uow(), merchant_id=tenant.merchant_id)
    assert problems == []
