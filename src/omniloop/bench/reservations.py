"""``omniloop bench reservations``: reservations per second and latency percentiles against a
real server with N worker processes, for load spread over many SKUs, for one hot SKU, and a
flash sale (one SKU, little stock, many more buyers) that counts accepted and oversold."""

from __future__ import annotations

import asyncio
import random
import tempfile
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress

from omniloop.bench.support import (
    machine_state,
    recreate_database,
    run_load,
    running_server,
)
from omniloop.db import Database
from omniloop.inventory.check import check_stock
from omniloop.merchants.service import create_merchant
from omniloop.migrate import upgrade

STORE = "BENCH-1"


async def _seed(url: str, *, skus: int, console: Console) -> tuple[str, str, list[str]]:
    """A merchant with one store, ``skus`` SKUs with deep stock; returns its key and codes."""
    from omniloop.app import create_app
    from omniloop.config import Settings

    db = Database(url)
    merchant, key = await create_merchant(uow=db.uow(), name="Bench Chain")
    await db.dispose()
    app = create_app(Settings(database_url=url, background_tasks=False, log_json=False))
    codes = [f"SKU-{i:05d}" for i in range(skus)] + ["HOT", "FLASH"]
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=auth
    ) as http:
        r = await http.post(
            "/api/v1/locations",
            json={
                "code": STORE,
                "name": "Bench store",
                "kind": "store",
                "lat": 31.23,
                "lng": 121.47,
            },
        )
        r.raise_for_status()
        with Progress(console=console) as progress:
            task = progress.add_task("seeding SKUs and stock", total=len(codes))
            for start in range(0, len(codes), 50):
                chunk = codes[start : start + 50]
                r = await http.post(
                    "/api/v1/products",
                    json={
                        "name": f"Bench product {start}",
                        "category": "bench",
                        "skus": [{"sku": c, "name": c, "price": 1000} for c in chunk],
                    },
                )
                r.raise_for_status()
                for code in chunk:
                    r = await http.put(
                        f"/api/v1/inventory/{STORE}/{code}", json={"on_hand": 10_000_000}
                    )
                    r.raise_for_status()
                    progress.advance(task)
    await app.state.db.dispose()
    return str(merchant.merchant_id), key, codes[:-2]


async def _set_flash_stock(base: str, key: str, units: int) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as h:
        r = await h.put(f"/api/v1/inventory/{STORE}/FLASH", json={"on_hand": units})
        r.raise_for_status()


async def run(
    *,
    url: str,
    clients: int,
    seconds: float,
    workers: int,
    skus: int,
    flash_units: int,
    flash_buyers: int,
    console: Console,
) -> list[str]:
    """Run the three scenarios; returns one summary line per scenario."""
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    _, key, codes = await _seed(url, skus=skus, console=console)
    lines = [f"# reservations benchmark: {machine_state()}, server workers={workers}"]
    log = Path(tempfile.mkdtemp(prefix="omniloop-bench-")) / "server.log"
    with running_server(url, workers=workers, log=log, pool_size=max(4, 60 // workers)) as base:
        limits = httpx.Limits(max_connections=clients + 8, max_keepalive_connections=clients + 8)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            base_url=base, headers=headers, limits=limits, timeout=60
        ) as http:
            rng = random.Random(7)

            async def spread(_: int) -> int:
                sku = rng.choice(codes)
                body = {"location": STORE, "lines": [{"sku": sku, "qty": 1}], "ttl_seconds": 3600}
                return (await http.post("/api/v1/reservations", json=body)).status_code

            async def hot(_: int) -> int:
                body = {"location": STORE, "lines": [{"sku": "HOT", "qty": 1}], "ttl_seconds": 3600}
                return (await http.post("/api/v1/reservations", json=body)).status_code

            async def flash(_: int) -> int:
                body = {"location": STORE, "lines": [{"sku": "FLASH", "qty": 1}]}
                return (await http.post("/api/v1/reservations", json=body)).status_code

            console.print(f"spread over {len(codes)} SKUs: {clients} clients for {seconds:.0f}s")
            result = await run_load("spread", clients=clients, seconds=seconds, request=spread)
            lines.append(result.summary(skus=len(codes)))
            console.print(f"one hot SKU: {clients} clients for {seconds:.0f}s")
            result = await run_load("hot_sku", clients=clients, seconds=seconds, request=hot)
            lines.append(result.summary())
            await _set_flash_stock(base, key, flash_units)
            console.print(f"flash sale: {flash_buyers} buyers for {flash_units} units")
            result = await run_load(
                "flash_sale",
                clients=clients,
                seconds=max(seconds, 60),
                request=flash,
                max_requests=flash_buyers,
            )
            accepted = result.statuses.get(201, 0)
            level = (await http.get(f"/api/v1/inventory/{STORE}/FLASH")).json()
            lines.append(
                result.summary(
                    stock=flash_units,
                    accepted=accepted,
                    oversold=max(0, accepted - flash_units),
                    available_after=level["available"],
                )
            )
    db = Database(url)
    checked, problems = await check_stock(uow=db.uow())
    await db.dispose()
    lines.append(f"# ledger check: {checked} stock rows, {len(problems)} mismatches")
    return lines
