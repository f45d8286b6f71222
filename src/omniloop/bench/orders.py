"""``omniloop bench orders``: orders placed end to end over HTTP against a real server with
N worker processes — create, pay with the sandbox provider, wait for its signed callback —
with orders/s and latency percentiles (``--members N``: each order is a member's, paying
part with points); ``--flash-sale`` sends many more buyers than units of
one SKU and counts accepted and oversold orders."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress

from omniloop.bench.support import machine_state, recreate_database, run_load, running_server
from omniloop.db import Database
from omniloop.inventory.check import check_stock
from omniloop.loyalty.check import check_loyalty
from omniloop.merchants.service import create_merchant
from omniloop.migrate import upgrade
from omniloop.payments.check import check_payments

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


async def _seed_members(base: str, key: str, *, count: int, console: Console) -> list[str]:
    """``count`` members, each with 1,000,000 points to pay part of their orders."""
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as h:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"{count} members", total=count)
            for i in range(count):
                phone = f"+86139{i:08d}"
                r = await h.post("/api/v1/members", json={"phone": phone, "channel": "own_app"})
                r.raise_for_status()
                member_id = r.json()["id"]
                r = await h.post(
                    f"/api/v1/members/{member_id}/points/adjustments",
                    json={"points": 1_000_000, "reason": "bench"},
                )
                r.raise_for_status()
                ids.append(member_id)
                progress.advance(task)
    return ids


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
    members: int = 0,
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
        member_ids = await _seed_members(base, key, count=members, console=console)
        limits = httpx.Limits(max_connections=clients + 8, max_keepalive_connections=clients + 8)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            base_url=base, headers=headers, limits=limits, timeout=60
        ) as http:

            def body(sku: str) -> dict[str, object]:
                order: dict[str, object] = {
                    "channel": "own_app",
                    "lines": [{"sku": sku, "qty": 1}],
                    "fulfillment": {"type": "pickup", "location": STORE},
                }
                if member_ids:  # a member paying 1.00 of it with points
                    order["member_id"] = random.choice(member_ids)
                    order["tenders"] = {"points": 100}
                return order

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
                    "orders_end_to_end_members" if member_ids else "orders_end_to_end",
                    clients=clients,
                    seconds=seconds,
                    request=order_and_pay,
                )
                waits = sorted(paid_waits)
                p50 = waits[len(waits) // 2] * 1000 if waits else 0.0
                lines.append(result.summary(callback_p50_ms=f"{p50:.0f}"))
    db = Database(url)
    checked, problems = await check_stock(uow=db.uow())
    accounts, loyalty_problems = await check_loyalty(uow=db.uow())
    orders, payment_problems = await check_payments(uow=db.uow())
    await db.dispose()
    lines.append(
        f"# ledger check: {checked} stock rows, {accounts} loyalty accounts, {orders} paid "
        f"orders, {len(problems) + len(loyalty_problems) + len(payment_problems)} mismatches"
    )
    return lines
