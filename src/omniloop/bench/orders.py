"""``omniloop bench orders``: orders placed end to end over HTTP against a real server with
N worker processes — create, pay with the sandbox provider, wait for its signed callback —
with orders/s and latency percentiles; ``--flash-sale`` sends many more buyers than units of
one SKU and counts accepted and oversold orders."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console

from omniloop.bench.support import machine_state, recreate_database, run_load, running_server
from omniloop.db import Database
from omniloop.inventory.check import check_stock
from omniloop.merchants.service import create_merchant
from omniloop.migrate import upgrade

STORE = "BENCH-1"


async def _seed(base: str, key: str, *, units: int) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as h:
        location = {"code": STORE, "name": "Bench", "kind": "store", "lat": 31.23, "lng": 121.47}
        (await h.post("/api/v1/locations", json=location)).raise_for_status()
        product = {
            "name": "Bench tea",
            "category": "bench",
            "skus": [
                {"sku": "TEA", "name": "Tea", "price": 1500},
                {"sku": "FLASH", "name": "F", "price": 990},
            ],
        }
        (await h.post("/api/v1/products", json=product)).raise_for_status()
        for sku, qty in (("TEA", 10_000_000), ("FLASH", units)):
            r = await h.put(f"/api/v1/inventory/{STORE}/{sku}", json={"on_hand": qty})
            r.raise_for_status()


async def run(
    *,
    url: str,
    clients: int,
    seconds: float,
    workers: int,
    flash_sale: bool,
    units: int,
    buyers: int,
    console: Console,
) -> list[str]:
    """One summary line per scenario (and a ledger check)."""
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    _, key = await create_merchant(uow=db.uow(), name="Bench Orders")
    await db.dispose()
    lines = [f"# orders benchmark: {machine_state()}, server workers={workers}"]
    log = Path(tempfile.mkdtemp(prefix="omniloop-bench-")) / "server.log"
    extra = {"OMNILOOP_OUTBOX_POLL_SECONDS": "0.05"}
    with running_server(
        url, workers=workers, log=log, pool_size=max(4, 60 // workers), extra_env=extra
    ) as base:
        await _seed(base, key, units=units)
        limits = httpx.Limits(max_connections=clients + 8, max_keepalive_connections=clients + 8)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            base_url=base, headers=headers, limits=limits, timeout=60
        ) as http:

            def body(sku: str) -> dict[str, object]:
                return {
                    "channel": "own_app",
                    "lines": [{"sku": sku, "qty": 1}],
                    "fulfillment": {"type": "pickup", "location": STORE},
                }

            if flash_sale:
                console.print(f"flash sale: {buyers} buyers for {units} units")

                async def buy(_: int) -> int:
                    return (await http.post("/api/v1/orders", json=body("FLASH"))).status_code

                result = await run_load(
                    "orders_flash_sale", clients=clients, seconds=max(seconds, 120),
                    request=buy, max_requests=buyers,
                )  # fmt: skip
                accepted = result.statuses.get(201, 0)
                lines.append(
                    result.summary(
                        stock=units, accepted=accepted, oversold=max(0, accepted - units)
                    )
                )
            else:
                console.print(f"create, pay, callback: {clients} clients for {seconds:.0f}s")
                paid_waits: list[float] = []

                async def order_and_pay(_: int) -> int:
                    r = await http.post("/api/v1/orders", json=body("TEA"))
                    if r.status_code != 201:
                        return r.status_code
                    order_id = r.json()["id"]
                    r = await http.post(
                        f"/api/v1/orders/{order_id}/payments", json={"provider": "sandbox"}
                    )
                    if r.status_code != 201:
                        return r.status_code
                    payment_id = r.json()["id"]
                    r = await http.post(f"/api/v1/sandbox/payments/{payment_id}/succeed")
                    if r.status_code >= 300:
                        return r.status_code
                    started = time.perf_counter()
                    while time.perf_counter() - started < 30:
                        status = (await http.get(f"/api/v1/orders/{order_id}")).json()["status"]
                        if status == "paid":
                            paid_waits.append(time.perf_counter() - started)
                            return 201
                        await asyncio.sleep(0.25)
                    return 504

                result = await run_load(
                    "orders_end_to_end", clients=clients, seconds=seconds, request=order_and_pay
                )
                waits = sorted(paid_waits)
                p50 = waits[len(waits) // 2] * 1000 if waits else 0.0
                lines.append(result.summary(callback_p50_ms=f"{p50:.0f}"))
    db = Database(url)
    checked, problems = await check_stock(uow=db.uow())
    await db.dispose()
    lines.append(f"# ledger check: {checked} stock rows, {len(problems)} mismatches")
    return lines
