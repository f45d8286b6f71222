"""``omniloop bench routing``: routing decisions among many stocked locations.

Seeds ``locations`` stores over a metro area (bulk inserts, a tenth with daytime opening
hours) holding random stock of five SKUs, then times :func:`omniloop.routing.service.decide`
one decision after another, exactly as order intake calls it (rules, candidates, stock and,
when nothing qualifies, the alternatives), for three kinds of demand:

- ``routing_delivery``: a delivery to a random address (the service-radius box);
- ``routing_pickup_fixed``: a pickup at a random store (that store alone is checked);
- ``routing_pickup_nearest``: a pickup near the customer's position, no store chosen
  (growing search circles).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import insert, text

from omniloop.bench.support import machine_state, recreate_database
from omniloop.catalog.models import Product, Sku
from omniloop.db import Database
from omniloop.inventory.models import StockLevel
from omniloop.locations.models import Location
from omniloop.merchants.service import create_merchant
from omniloop.migrate import upgrade
from omniloop.routing import service as routing
from omniloop.routing.domain import Decision, Demand
from omniloop.routing.models import RoutingRuleSet
from omniloop.shared.clock import utcnow

CENTER = (31.2304, 121.4737)  # People's Square, Shanghai
SPREAD_DEGREES = 1.0  # about 220 x 190 km
SKUS = ("TEA-M", "TEA-L", "BUN", "CAKE", "MT-BROWN-M")
DAYTIME = {d: [["08:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
BATCH = 5000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000


async def _ensure_routing_table(db: Database) -> None:
    # Until the migration for issue 3 lands the table comes from the model (a no-op after).
    async with db.engine.begin() as conn:
        await conn.run_sync(
            lambda sync: RoutingRuleSet.metadata.create_all(
                sync,
                tables=[RoutingRuleSet.metadata.tables[RoutingRuleSet.__tablename__]],
                checkfirst=True,
            )
        )


async def _seed(db: Database, merchant_id: uuid.UUID, locations: int, console: Console) -> None:
    rng = random.Random(7)
    now = utcnow()
    product = Product(id=uuid.uuid4(), merchant_id=merchant_id, name="Milk tea", category="tea")
    async with db.uow() as uow:
        uow.session.add(product)
        await uow.session.flush()
        for code in SKUS:
            uow.session.add(
                Sku(
                    merchant_id=merchant_id,
                    sku=code,
                    product_id=product.id,
                    name=code,
                    price=1800,
                    currency="CNY",
                    active=True,
                )
            )
        await uow.commit()
    stores = [
        {
            "merchant_id": merchant_id,
            "code": f"L{i:07d}",
            "name": f"Store {i}",
            "kind": "store",
            "lat": CENTER[0] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
            "lng": CENTER[1] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
            "timezone": "Asia/Shanghai",
            "opening_hours": DAYTIME if rng.random() < 0.1 else None,
            "service_radius_km": rng.choice((3.0, 5.0, 5.0, 8.0)),
            "priority": rng.randint(0, 3),
            "active": rng.random() > 0.02,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(locations)
    ]
    stock = [
        {
            "merchant_id": merchant_id,
            "location_code": store["code"],
            "sku": sku,
            "on_hand": rng.randint(0, 20),
            "reserved": 0,
            "safety_stock": 0,
            "updated_at": now,
        }
        for store in stores
        for sku in SKUS
        if rng.random() < 0.8
    ]
    with Progress(console=console) as progress:
        for label, model, rows in (
            ("locations", Location, stores),
            ("stock rows", StockLevel, stock),
        ):
            task = progress.add_task(f"inserting {len(rows)} {label}", total=len(rows))
            for start in range(0, len(rows), BATCH):
                async with db.uow() as uow:
                    await uow.session.execute(insert(model), rows[start : start + BATCH])
                    await uow.commit()
                progress.advance(task, min(BATCH, len(rows) - start))
    if db.dialect == "postgresql":
        # What a live database has long had: planner statistics for the freshly loaded rows.
        async with db.engine.connect() as conn:
            await conn.execute(text("ANALYZE location, stock_level"))
            await conn.commit()


async def _time(
    db: Database, merchant_id: uuid.UUID, demands: list[Demand]
) -> tuple[list[float], list[Decision]]:
    latencies: list[float] = []
    decisions: list[Decision] = []
    for demand in demands:
        t0 = time.perf_counter()
        decision = await routing.decide(uow=db.uow(), merchant_id=merchant_id, demand=demand)
        latencies.append(time.perf_counter() - t0)
        decisions.append(decision)
    return latencies, decisions


def _summary(name: str, locations: int, latencies: list[float], decisions: list[Decision]) -> str:
    routed = sum(d.routed for d in decisions)
    considered = sum(len(d.ranked) + len(d.rejected) for d in decisions) / len(decisions)
    return (
        f"scenario={name} locations={locations} decisions={len(decisions)} "
        f"p50_ms={_percentile(latencies, 50):.2f} p99_ms={_percentile(latencies, 99):.2f} "
        f"max_ms={max(latencies) * 1000:.2f} decisions_per_s={len(decisions) / sum(latencies):.0f} "
        f"routed={routed} unroutable_with_alternatives={len(decisions) - routed} "
        f"avg_considered={considered:.1f}"
    )


async def run(*, url: str, locations: int, decisions: int, console: Console) -> list[str]:
    """Seed the chain, then time ``decisions`` routing decisions per scenario."""
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    await _ensure_routing_table(db)
    merchant, _ = await create_merchant(uow=db.uow(), name="Bench Routing")
    merchant_id = merchant.merchant_id
    await _seed(db, merchant_id, locations, console)

    rng = random.Random(13)
    at = utcnow().replace(hour=4, minute=0) + timedelta(days=1)  # noon in Shanghai

    def lines() -> list[tuple[str, int]]:
        return [(sku, rng.randint(1, 2)) for sku in rng.sample(SKUS, rng.randint(1, 3))]

    def point() -> tuple[float, float]:
        return (
            CENTER[0] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
            CENTER[1] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
        )

    scenarios: dict[str, Callable[[], Demand]] = {
        "routing_delivery": lambda: Demand(
            "own_app", "delivery", lines(), destination=point(), requested_time=at
        ),
        "routing_pickup_fixed": lambda: Demand(
            "mini_program",
            "pickup",
            lines(),
            requested_time=at,
            fixed_location=f"L{rng.randrange(locations):07d}",
        ),
        "routing_pickup_nearest": lambda: Demand(
            "own_app", "pickup", lines(), destination=point(), requested_time=at
        ),
    }
    out = [f"# routing benchmark: {machine_state()}, {db.dialect}, {locations} locations"]
    for name, make in scenarios.items():
        demands = [make() for _ in range(decisions)]
        await _time(db, merchant_id, demands[: min(20, decisions)])  # warm caches and pool
        latencies, results = await _time(db, merchant_id, demands)
        out.append(_summary(name, locations, latencies, results))
    await db.dispose()
    return out
