"""``omniloop bench nearby``: nearby-store search among many locations (index range plus exact
great-circle distance) timed against a brute-force scan of every location, with the results
compared for equality."""

from __future__ import annotations

import asyncio
import random
import time

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import insert, select

from omniloop.bench.support import machine_state, recreate_database
from omniloop.db import Database
from omniloop.locations import service as location_service
from omniloop.locations.models import Location
from omniloop.merchants.service import create_merchant
from omniloop.migrate import upgrade
from omniloop.shared.clock import utcnow
from omniloop.shared.geo import distance_km

CENTER = (31.2304, 121.4737)  # People's Square, Shanghai
SPREAD_DEGREES = 1.0  # about 110 km north-south: a metro area dense with stores


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000


async def run(*, url: str, locations: int, queries: int, console: Console) -> list[str]:
    """Seed ``locations`` stores, run ``queries`` searches both ways; one line per method."""
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    merchant, _ = await create_merchant(uow=db.uow(), name="Bench Nearby")
    rng = random.Random(11)
    now = utcnow()
    rows = [
        {
            "merchant_id": merchant.merchant_id,
            "code": f"L{i:07d}",
            "name": f"Store {i}",
            "kind": "store",
            "lat": CENTER[0] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
            "lng": CENTER[1] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
            "timezone": "Asia/Shanghai",
            "service_radius_km": 5.0,
            "priority": 0,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(locations)
    ]
    with Progress(console=console) as progress:
        task = progress.add_task(f"inserting {locations} locations", total=len(rows))
        for start in range(0, len(rows), 2000):
            async with db.uow() as uow:
                await uow.session.execute(insert(Location), rows[start : start + 2000])
                await uow.commit()
            progress.advance(task, min(2000, len(rows) - start))

    points = [
        (
            CENTER[0] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
            CENTER[1] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
            rng.choice((1.0, 3.0, 5.0, 10.0)),
        )
        for _ in range(queries)
    ]
    indexed: list[float] = []
    scanned: list[float] = []
    mismatches = 0
    found = 0
    for lat, lng, radius in points:
        t0 = time.perf_counter()
        result = await location_service.nearby(
            uow=db.uow(), merchant_id=merchant.merchant_id, lat=lat, lng=lng, radius_km=radius,
            limit=20,
        )  # fmt: skip
        indexed.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        async with db.uow().read_only() as uow:
            everything = (
                await uow.session.execute(
                    select(Location.code, Location.lat, Location.lng).where(
                        Location.merchant_id == merchant.merchant_id
                    )
                )
            ).all()
        brute = sorted(
            (d, code)
            for code, la, ln in everything
            if (d := distance_km(lat, lng, la, ln)) <= radius
        )[:20]
        scanned.append(time.perf_counter() - t0)
        found += len(result)
        if [loc.code for loc, _ in result] != [code for _, code in brute]:
            mismatches += 1
    await db.dispose()
    head = f"# nearby benchmark: {machine_state()}, {db.dialect}, {locations} locations"
    return [
        head,
        f"scenario=nearby_indexed queries={queries} p50_ms={_percentile(indexed, 50):.2f} "
        f"p99_ms={_percentile(indexed, 99):.2f} qps={queries / sum(indexed):.0f} "
        f"avg_results={found / queries:.1f}",
        f"scenario=nearby_brute_force queries={queries} p50_ms={_percentile(scanned, 50):.2f} "
        f"p99_ms={_percentile(scanned, 99):.2f} qps={queries / sum(scanned):.0f}",
        f"# results equal to brute force in {queries - mismatches}/{queries} queries",
    ]
