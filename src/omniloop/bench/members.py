"""``omniloop bench members``: points and wallet postings per second under concurrency, and
the time to recompute every tier of 100,000 members, on PostgreSQL.

Postings go through the ledger functions in real transactions, one posting per
transaction, as orders make them: a mix of earning and spending points, topping up and
spending the wallet. First spread over many members, then all on one hot member (where
every posting waits for the account lock). Spends the balance cannot cover are refused
(counted as 409s) — they are part of the mix, and the point of the run is that no balance
goes below zero and ``omniloop check`` still finds the ledgers adding up.

The tier run bulk-loads members, their accounts and dated spend entries with COPY, then
times :func:`recompute_all_tiers`: the first run (every member's tier set), a run with
nothing to change, and a run 90 days later (spend leaving the window downgrades members).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import asyncpg
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.bench.support import LoadResult, machine_state, recreate_database, run_load
from omniloop.db import Database
from omniloop.loyalty.check import check_loyalty
from omniloop.loyalty.domain import DEFAULT_PROGRAM, PointsKind, WalletKind
from omniloop.loyalty.errors import InsufficientPoints, InsufficientWallet
from omniloop.loyalty.ledger import post_points_in, post_wallet_in, spend_wallet_in
from omniloop.loyalty.models import LoyaltyAccount
from omniloop.loyalty.tiers import TierRun, recompute_all_tiers
from omniloop.merchants.service import create_merchant
from omniloop.migrate import upgrade
from omniloop.shared.clock import utcnow

ACTOR = "bench"
COPY_CHUNK = 20_000

Posting = Callable[[AsyncSession, uuid.UUID], Awaitable[None]]


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _copy_members(
    conn: asyncpg.Connection,
    merchant_id: uuid.UUID,
    count: int,
    *,
    progress: Progress,
    with_accounts: bool,
) -> list[uuid.UUID]:
    """``count`` members (and empty accounts at the first tier) by COPY."""
    now = utcnow()
    ids = [uuid.uuid4() for _ in range(count)]
    task = progress.add_task(f"copying {count:,} members", total=count)
    for start in range(0, count, COPY_CHUNK):
        chunk = ids[start : start + COPY_CHUNK]
        await conn.copy_records_to_table(
            "member",
            records=[
                (merchant_id, m, f"+8613{start + i:09d}", None, "active", "pos", now, now)
                for i, m in enumerate(chunk)
            ],
            columns=[
                "merchant_id", "id", "phone", "name", "status", "acquired_channel",
                "created_at", "updated_at",
            ],
        )  # fmt: skip
        if with_accounts:
            await conn.copy_records_to_table(
                "loyalty_account",
                records=[(merchant_id, m, 0, 0, 0, "normal", now, now) for m in chunk],
                columns=[
                    "merchant_id", "member_id", "points_balance", "wallet_principal",
                    "wallet_bonus", "tier", "tier_changed_at", "updated_at",
                ],
            )  # fmt: skip
        progress.advance(task, len(chunk))
    return ids


async def _copy_spend(
    conn: asyncpg.Connection,
    merchant_id: uuid.UUID,
    members: list[uuid.UUID],
    *,
    now: datetime,
    progress: Progress,
) -> int:
    """One to five dated spend entries per member over the last 18 months, sized so that
    roughly half the members reach 银卡 or better."""
    rng = random.Random(5)
    task = progress.add_task(f"copying spend of {len(members):,} members", total=len(members))
    rows: list[tuple[object, ...]] = []
    written = 0
    for i, member in enumerate(members):
        budget = rng.choice((20_000, 60_000, 150_000, 300_000, 700_000, 2_500_000))
        for _ in range(rng.randint(1, 5)):
            at = now - timedelta(days=rng.uniform(0, 540))
            rows.append((merchant_id, uuid.uuid4(), member, None, rng.randint(1, budget), at))
        if len(rows) >= COPY_CHUNK or i == len(members) - 1:
            await conn.copy_records_to_table(
                "spend_entry",
                records=rows,
                columns=["merchant_id", "id", "member_id", "order_id", "amount", "created_at"],
            )
            written += len(rows)
            rows = []
        progress.advance(task)
    return written


def _postings(rng: random.Random, merchant_id: uuid.UUID) -> Posting:
    """One posting of the mix: earn 35%, redeem 25%, top up 15%, pay from the wallet 25%."""
    roll = rng.random()
    expires = utcnow() + timedelta(days=400)

    if roll < 0.35:
        points = rng.randint(50, 500)

        async def earn(session: AsyncSession, member: uuid.UUID) -> None:
            await post_points_in(
                session, merchant_id=merchant_id, member_id=member, points=points,
                kind=PointsKind.EARN, actor=ACTOR, expires_at=expires,
            )  # fmt: skip

        return earn
    if roll < 0.60:
        points = rng.randint(10, 400)

        async def redeem(session: AsyncSession, member: uuid.UUID) -> None:
            await post_points_in(
                session, merchant_id=merchant_id, member_id=member, points=-points,
                kind=PointsKind.REDEEM, actor=ACTOR,
            )  # fmt: skip

        return redeem
    if roll < 0.75:

        async def top_up(session: AsyncSession, member: uuid.UUID) -> None:
            await post_wallet_in(
                session, merchant_id=merchant_id, member_id=member, principal=10_000,
                bonus=1_000, kind=WalletKind.TOP_UP, currency="CNY", actor=ACTOR,
            )  # fmt: skip

        return top_up
    amount = rng.randint(500, 5_000)

    async def pay(session: AsyncSession, member: uuid.UUID) -> None:
        await spend_wallet_in(
            session, merchant_id=merchant_id, member_id=member, amount=amount,
            currency="CNY", actor=ACTOR,
        )  # fmt: skip

    return pay


@contextlib.asynccontextmanager
async def _ticking(progress: Progress, label: str, seconds: float) -> AsyncIterator[None]:
    task = progress.add_task(label, total=seconds)

    async def tick() -> None:
        started = time.perf_counter()
        while True:
            progress.update(task, completed=min(seconds, time.perf_counter() - started))
            await asyncio.sleep(0.25)

    ticker = asyncio.create_task(tick())
    try:
        yield
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        progress.update(task, completed=seconds)


async def _postings_load(
    db: Database, name: str, merchant_id: uuid.UUID, members: list[uuid.UUID], *,
    clients: int, seconds: float, progress: Progress,
) -> LoadResult:  # fmt: skip
    rng = random.Random(name)

    async def one(_: int) -> int:
        posting = _postings(rng, merchant_id)
        member = rng.choice(members)
        async with db.uow() as uow:
            try:
                await posting(uow.session, member)
            except (InsufficientPoints, InsufficientWallet):
                return 409
            await uow.commit()
        return 201

    async with _ticking(progress, f"{name}: {clients} tasks for {seconds:.0f}s", seconds):
        return await run_load(name, clients=clients, seconds=seconds, request=one)


async def _negative_balances(db: Database, merchant_id: uuid.UUID) -> int:
    a = LoyaltyAccount
    async with db.uow().read_only() as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).where(
                    a.merchant_id == merchant_id,
                    or_(a.points_balance < 0, a.wallet_principal < 0, a.wallet_bonus < 0),
                )
            )
            or 0
        )


async def _timed(work: Awaitable[TierRun]) -> tuple[float, TierRun]:
    t0 = time.perf_counter()
    result = await work
    return time.perf_counter() - t0, result


async def run(
    *,
    url: str,
    clients: int,
    seconds: float,
    members: int,
    tier_members: int,
    console: Console,
) -> list[str]:
    """Both parts; returns summary lines (and prints a table)."""
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench members runs on PostgreSQL (it loads data with COPY)")
    await recreate_database(url)
    await asyncio.to_thread(upgrade, url)
    db = Database(url, pool_size=clients + 4)
    lines = [f"# members benchmark: {machine_state()}, postgresql, {clients} concurrent tasks"]
    table = Table(title="omniloop bench members")
    for column in ("scenario", "postings/s", "p50 ms", "p95 ms", "p99 ms", "ok", "refused"):
        table.add_column(column, justify="right" if column != "scenario" else "left")
    try:
        merchant, _ = await create_merchant(uow=db.uow(), name="Bench Members")
        tiers_merchant, _ = await create_merchant(uow=db.uow(), name="Bench Tiers")
        conn = await asyncpg.connect(_dsn(url))
        try:
            with Progress(console=console) as progress:
                spread_members = await _copy_members(
                    conn, merchant.merchant_id, members + 1, progress=progress, with_accounts=False
                )
                hot = spread_members.pop()
                results = [
                    await _postings_load(
                        db, "spread", merchant.merchant_id, spread_members, clients=clients,
                        seconds=seconds, progress=progress,
                    ),
                    await _postings_load(
                        db, "hot_member", merchant.merchant_id, [hot], clients=clients,
                        seconds=seconds, progress=progress,
                    ),
                ]  # fmt: skip
                now = utcnow()
                load_started = time.perf_counter()
                tier_ids = await _copy_members(
                    conn, tiers_merchant.merchant_id, tier_members, progress=progress,
                    with_accounts=True,
                )  # fmt: skip
                spend_rows = await _copy_spend(
                    conn, tiers_merchant.merchant_id, tier_ids, now=now, progress=progress
                )
                await conn.execute("ANALYZE")
                load_seconds = time.perf_counter() - load_started
        finally:
            await conn.close()
        for result in results:
            ok, refused = result.statuses.get(201, 0), result.statuses.get(409, 0)
            extra = {"members": len(spread_members) if result.name == "spread" else 1}
            lines.append(result.summary(**extra, ok=ok, refused=refused))
            table.add_row(
                f"{result.name} ({extra['members']:,})",
                f"{len(result.latencies) / result.seconds:,.0f}",
                f"{result.percentile(50):.1f}",
                f"{result.percentile(95):.1f}",
                f"{result.percentile(99):.1f}",
                f"{ok:,}",
                f"{refused:,}",
            )
        negative = await _negative_balances(db, merchant.merchant_id)
        accounts, problems = await check_loyalty(uow=db.uow(), merchant_id=merchant.merchant_id)
        lines.append(
            f"# after postings: {accounts} accounts, {negative} negative balances, "
            f"check: {len(problems)} mismatches"
        )
        lines.append(
            f"# tiers: bulk-loaded {tier_members:,} members, accounts and {spend_rows:,} spend "
            f"entries in {load_seconds:.1f}s"
        )
        tier_table = Table(title=f"recompute_all_tiers, {tier_members:,} members")
        for column in ("run", "seconds", "members", "changed"):
            tier_table.add_column(column, justify="right" if column != "run" else "left")
        later = now + timedelta(days=90)
        for label, at in (("first", now), ("unchanged", now), ("90 days later", later)):
            with console.status(f"recomputing tiers ({label})"):
                elapsed, tier_run = await _timed(
                    recompute_all_tiers(db=db, merchant_id=tiers_merchant.merchant_id, now=at)
                )
            members_seen, changed = tier_run.members, tier_run.changed
            lines.append(
                f"scenario=tier_recompute run={label.replace(' ', '_')} seconds={elapsed:.2f} "
                f"members={members_seen} changed={changed}"
            )
            tier_table.add_row(label, f"{elapsed:.2f}", f"{members_seen:,}", f"{changed:,}")
        async with db.uow().read_only() as uow:
            spread = dict(
                (
                    await uow.session.execute(
                        select(LoyaltyAccount.tier, func.count())
                        .where(LoyaltyAccount.merchant_id == tiers_merchant.merchant_id)
                        .group_by(LoyaltyAccount.tier)
                    )
                ).all()
            )
        names = {t.code: t.name for t in DEFAULT_PROGRAM.tiers}
        lines.append(
            "# tiers now: "
            + ", ".join(f"{names.get(code, code)} {spread.get(code, 0):,}" for code in names)
        )
    finally:
        await db.dispose()
    Console().print(table)
    Console().print(tier_table)
    return lines
