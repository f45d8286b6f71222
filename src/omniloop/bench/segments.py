"""``omniloop bench segments``: RFM for 100,000 members and segment queries over them, on
PostgreSQL.

Members and about four orders each (over the last two years, in every status a chain
sees: completed, partially or fully refunded, cancelled, unpaid) are bulk-loaded with COPY,
with member activity in a few channels. Then :func:`compute_rfm` is timed twice (the first
run inserts every buyer's row, the second, a day later, updates them all), and saved
segments are evaluated the way ``GET /segments/{id}/members`` does: the count and the first
page.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.engine import make_url

from omniloop.bench.support import machine_state, recreate_database
from omniloop.db import Database, create_engine
from omniloop.merchants.service import create_merchant
from omniloop.migrate import upgrade
from omniloop.models import load_all
from omniloop.segments import query
from omniloop.segments.domain import ScoreRange, SegmentFilters
from omniloop.segments.rfm import compute_rfm
from omniloop.segments.service import scope_in
from omniloop.shared.clock import utcnow

COPY_CHUNK = 20_000
STORES = [f"S{n:03d}" for n in range(1, 41)]
CHANNELS = ("pos", "pos", "pos", "own_app", "own_app", "mini_program", "meituan", "eleme")
# (status, payment_status, share of the orders)
STATUSES = (
    ("completed", "paid", 0.80),
    ("partially_refunded", "partially_refunded", 0.05),
    ("refunded", "refunded", 0.03),
    ("cancelled", "refunded", 0.05),
    ("cancelled", "unpaid", 0.04),
    ("pending_payment", "unpaid", 0.03),
)
SEGMENTS = {
    "lapsed_60d_spent_gt_500": SegmentFilters(last_order_before_days=60, spent_more_than=50_000),
    "rfm_champions": SegmentFilters(rfm=ScoreRange(r_min=4, f_min=4, m_min=4)),
    "meituan_at_3_stores": SegmentFilters(
        channels=("meituan",), acquired_locations=tuple(STORES[:3])
    ),
    "everyone": SegmentFilters(),
}

T = TypeVar("T")


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _copy_members(
    conn: asyncpg.Connection, merchant_id: uuid.UUID, count: int, now: datetime, progress: Progress
) -> list[uuid.UUID]:
    rng = random.Random(7)
    ids = [uuid.uuid4() for _ in range(count)]
    task = progress.add_task(f"copying {count:,} members and their activity", total=count)
    for start in range(0, count, COPY_CHUNK):
        chunk = ids[start : start + COPY_CHUNK]
        members, activity = [], []
        for i, member in enumerate(chunk):
            joined = now - timedelta(days=rng.uniform(30, 900))
            channel, store = rng.choice(CHANNELS), rng.choice(STORES)
            members.append(
                (merchant_id, member, f"+8613{start + i:09d}", "active", channel, store,
                 joined, joined)
            )  # fmt: skip
            activity.append((merchant_id, uuid.uuid4(), member, "joined", channel, store, "{}",
                             joined))  # fmt: skip
        await conn.copy_records_to_table(
            "member",
            records=members,
            columns=["merchant_id", "id", "phone", "status", "acquired_channel",
                     "acquired_location", "created_at", "updated_at"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "member_activity",
            records=activity,
            columns=["merchant_id", "id", "member_id", "kind", "channel", "location_code",
                     "detail", "created_at"],
        )  # fmt: skip
        progress.advance(task, len(chunk))
    return ids


def _status(rng: random.Random) -> tuple[str, str]:
    roll, total = rng.random(), 0.0
    for status, payment, share in STATUSES:
        total += share
        if roll < total:
            return status, payment
    return STATUSES[0][0], STATUSES[0][1]


async def _copy_orders(
    conn: asyncpg.Connection,
    merchant_id: uuid.UUID,
    members: list[uuid.UUID],
    per_member: float,
    now: datetime,
    progress: Progress,
) -> int:
    """About ``per_member`` orders per member (a tenth of the members never ordered; a few
    order very often), over the last two years."""
    rng = random.Random(11)
    task = progress.add_task(
        f"copying ~{int(len(members) * per_member):,} orders", total=len(members)
    )
    columns = [
        "merchant_id", "id", "number", "channel", "status", "payment_status",
        "fulfillment_type", "location_code", "member_id", "fulfillment", "currency",
        "subtotal", "discount_total", "fee_total", "total", "paid_total", "refunded_total",
        "adjustments", "routing", "allocations", "created_by", "created_at", "updated_at",
    ]  # fmt: skip
    rows: list[tuple[Any, ...]] = []
    written = 0
    for i, member in enumerate(members):
        mean = per_member / 0.9
        count = 0 if rng.random() < 0.1 else min(60, round(rng.expovariate(1 / mean)))
        habit = rng.choice((30, 90, 365, 720))  # how far back this member's orders go
        for _ in range(count):
            status, payment = _status(rng)
            total = rng.randint(1_500, 40_000)
            paid = 0 if payment == "unpaid" else total
            refunded = {"refunded": paid, "partially_refunded": paid // 3}.get(payment, 0)
            at = now - timedelta(days=rng.uniform(0, habit), minutes=rng.uniform(0, 600))
            written += 1
            rows.append(
                (merchant_id, uuid.uuid4(), f"B{written:012d}", rng.choice(CHANNELS), status,
                 payment, "pickup", rng.choice(STORES), member, "{}", "CNY", total, 0, 0, total,
                 paid, refunded, "[]", "{}", "[]", "bench", at, at)
            )  # fmt: skip
        if len(rows) >= COPY_CHUNK or i == len(members) - 1:
            await conn.copy_records_to_table("sales_order", records=rows, columns=columns)
            rows = []
        progress.advance(task)
    return written


async def _timed(work: Awaitable[T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = await work
    return time.perf_counter() - started, result


async def _query_segment(
    db: Database, merchant_id: uuid.UUID, filters: SegmentFilters, now: datetime
) -> tuple[int, float, float]:
    """The segment's size and the best of three timings of its count and its first page
    (ids, then what the list shows of them), as ``GET /segments/{id}/members`` runs them."""
    timings = []
    total = 0
    for _ in range(3):
        async with db.uow().read_only() as uow:
            session = uow.session
            scope = await scope_in(session, merchant_id, now)
            count_s, total = await _timed(session.scalar(query.count_query(scope, filters)))
            started = time.perf_counter()
            ids = list(
                await session.scalars(query.page_query(scope, filters, after=None, limit=51))
            )
            (await session.execute(query.details_query(scope, ids[:50]))).all()
            timings.append((count_s, time.perf_counter() - started))
    count_s, page_s = min(timings)
    return int(total or 0), count_s, page_s


async def _create_missing_tables(url: str) -> None:
    """Tables not migrated yet (a new domain) come from the models, as in the tests."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: load_all().create_all(sync, checkfirst=True))
    finally:
        await engine.dispose()


async def run(*, url: str, members: int, orders_per_member: float, console: Console) -> list[str]:
    """Load, compute RFM twice, query segments; returns summary lines (and prints tables)."""
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench segments runs on PostgreSQL (it loads data with COPY)")
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    await _create_missing_tables(url)
    db = Database(url, pool_size=4)
    lines = [f"# segments benchmark: {machine_state()}, postgresql"]
    try:
        merchant, _ = await create_merchant(uow=db.uow(), name="Bench Segments")
        merchant_id = merchant.merchant_id
        now = utcnow()
        conn = await asyncpg.connect(_dsn(url))
        try:
            with Progress(console=console) as progress:
                load_started = time.perf_counter()
                ids = await _copy_members(conn, merchant_id, members, now, progress)
                orders = await _copy_orders(
                    conn, merchant_id, ids, orders_per_member, now, progress
                )
                await conn.execute("ANALYZE")
                load_seconds = time.perf_counter() - load_started
        finally:
            await conn.close()
        lines.append(
            f"# bulk-loaded {members:,} members and {orders:,} orders in {load_seconds:.1f}s"
        )
        rfm_table = Table(title=f"compute_rfm, {members:,} members, {orders:,} orders")
        for column in ("run", "seconds", "buyers"):
            rfm_table.add_column(column, justify="right" if column != "run" else "left")
        for label, at in (("first", now), ("second (a day later)", now + timedelta(days=1))):
            with console.status(f"computing RFM ({label})"):
                elapsed, buyers = await _timed(compute_rfm(db=db, merchant_id=merchant_id, now=at))
            name = label.split()[0]
            lines.append(
                f"scenario=rfm_compute run={name} seconds={elapsed:.2f} members={members} "
                f"orders={orders} buyers={buyers}"
            )
            rfm_table.add_row(label, f"{elapsed:.2f}", f"{buyers:,}")
        segment_table = Table(title="segment members: count + first page of 50")
        for column in ("segment", "members", "count ms", "page ms"):
            segment_table.add_column(column, justify="right" if column != "segment" else "left")
        for name, filters in SEGMENTS.items():
            total, count_s, page_s = await _query_segment(db, merchant_id, filters, now)
            lines.append(
                f"scenario=segment_query segment={name} members={total} "
                f"count_ms={count_s * 1000:.0f} page_ms={page_s * 1000:.0f}"
            )
            segment_table.add_row(
                name, f"{total:,}", f"{count_s * 1000:.0f}", f"{page_s * 1000:.0f}"
            )
    finally:
        await db.dispose()
    Console().print(rfm_table)
    Console().print(segment_table)
    return lines
