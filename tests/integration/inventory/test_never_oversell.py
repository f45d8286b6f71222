"""The promise of issue 2: hundreds of concurrent buyers for the last units, several worker
processes, exactly as many reservations accepted as units available."""

import asyncio

import httpx
import pytest

from omniloop.inventory.check import check_stock
from tests.support.factories import add_location, add_skus
from tests.support.server import running_server, worker_pids

pytestmark = pytest.mark.slow

UNITS = 50
BUYERS = 240
WORKERS = 4


async def test_last_units_are_sold_exactly_once_across_worker_processes(
    tenant, db, database_url, tmp_path
):
    await add_location(db, tenant.merchant_id, "FLASH")
    await add_skus(db, tenant.merchant_id, ["MOONCAKE", "TEA"])
    put = await tenant.put("/api/v1/inventory/FLASH/MOONCAKE", json={"on_hand": UNITS})
    assert put.status_code == 200
    await tenant.put("/api/v1/inventory/FLASH/TEA", json={"on_hand": 10_000})
    headers = {"Authorization": f"Bearer {tenant.owner_key}"}

    with running_server(database_url, workers=WORKERS, log=tmp_path / "server.log") as base:
        limits = httpx.Limits(max_connections=BUYERS, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            workers = worker_pids(base.pid)

            async def buy(i: int) -> int:
                lines = [{"sku": "MOONCAKE", "qty": 1}, {"sku": "TEA", "qty": 1}]
                r = await http.post(
                    "/api/v1/reservations",
                    json={"location": "FLASH", "lines": lines, "reference": f"buyer-{i}"},
                    headers=headers,
                )
                return r.status_code

            codes = await asyncio.gather(*(buy(i) for i in range(BUYERS)))

    assert len(workers) >= WORKERS, f"expected {WORKERS} worker processes, saw {workers}"
    assert codes.count(201) == UNITS
    assert codes.count(409) == BUYERS - UNITS
    row = (await tenant.get("/api/v1/inventory/FLASH/MOONCAKE")).json()
    assert (row["on_hand"], row["reserved"], row["available"]) == (UNITS, UNITS, 0)
    tea = (await tenant.get("/api/v1/inventory/FLASH/TEA")).json()
    assert tea["reserved"] == UNITS, "a refused reservation must not hold its other lines"
    checked, problems = await check_stock(uow=db.uow(), merchant_id=tenant.merchant_id)
    assert checked == 2 and problems == []
