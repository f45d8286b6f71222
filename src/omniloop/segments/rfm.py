"""RFM for every buyer of a merchant, set-based.

One statement per merchant computes it: the buyers' purchase totals (a GROUP BY over their
orders), their ranks by last purchase, number of purchases and net spend (window functions,
which SQLite has since 3.25), and an upsert of the lot into ``member_rfm``
(``INSERT ... SELECT ... ON CONFLICT DO UPDATE``); a DELETE then drops the rows of members
who no longer have a purchase. No Python loop touches a member. The definitions (what a
purchase is, how scores fall) are in :mod:`omniloop.segments.domain`.

Two computations of one merchant never overlap: on PostgreSQL the second waits on a
transaction-scoped advisory lock (two upserts of the same rows in different orders could
deadlock); SQLite runs one writer at a time anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    Subquery,
    Uuid,
    and_,
    bindparam,
    cast,
    delete,
    extract,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import Database, UtcDateTime
from omniloop.members.domain import MemberStatus
from omniloop.members.models import Member
from omniloop.merchants.models import Merchant
from omniloop.orders.models import Order
from omniloop.segments.domain import NOT_PURCHASES, PAID, SCORE_BUCKETS
from omniloop.segments.models import MemberRfm
from omniloop.shared.clock import utcnow

_LOCK_CLASS = 0x52464D  # "RFM": the advisory-lock namespace of RFM computations


def at(value: datetime) -> ColumnElement[datetime]:
    """A timestamp as a typed bound value (a bare literal loses the UTC handling)."""
    return bindparam(None, value, type_=UtcDateTime(), unique=True)


def purchase_totals(
    merchant_id: uuid.UUID,
    currency: str,
    now: datetime,
    *,
    member_ids: Sequence[uuid.UUID] | None = None,
) -> Subquery:
    """Per active member with a purchase up to ``now``: ``frequency``, ``monetary`` (net
    paid) and ``last_order_at``."""
    query = (
        select(
            Order.member_id.label("member_id"),
            func.count().label("frequency"),
            func.sum(Order.paid_total - Order.refunded_total).label("monetary"),
            func.max(Order.created_at).label("last_order_at"),
        )
        .join(Member, and_(Member.merchant_id == Order.merchant_id, Member.id == Order.member_id))
        .where(
            Order.merchant_id == merchant_id,
            Order.status.not_in(sorted(NOT_PURCHASES)),
            Order.payment_status.in_(sorted(PAID)),
            Order.currency == currency,
            Order.created_at <= at(now),
            Member.status == MemberStatus.ACTIVE.value,
        )
        .group_by(Order.member_id)
    )
    if member_ids is not None:
        query = query.where(Order.member_id.in_(member_ids))
    return query.subquery("purchases")


def days_since(moment: ColumnElement[datetime], now: datetime, dialect: str) -> ColumnElement[int]:
    """Whole days from ``moment`` to ``now``."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", at(now) - moment) / 86400), Integer)
    return cast(func.julianday(at(now)) - func.julianday(moment), Integer)


def _score(value: ColumnElement[object]) -> ColumnElement[int]:
    """The 1-5 quintile of the row by ``value`` (see segments.domain.score)."""
    rank = func.rank().over(order_by=value)
    return cast(SCORE_BUCKETS * (rank - 1) // func.count().over() + 1, Integer)


async def _one_at_a_time(session: AsyncSession, merchant_id: uuid.UUID) -> None:
    if session.get_bind().dialect.name == "postgresql":
        objid = int.from_bytes(merchant_id.bytes[:4], "big", signed=True)
        await session.execute(select(func.pg_advisory_xact_lock(_LOCK_CLASS, objid)))


async def compute_merchant_rfm_in(
    session: AsyncSession, *, merchant_id: uuid.UUID, now: datetime
) -> int:
    """Rewrite the merchant's ``member_rfm`` as of ``now`` in the caller's transaction;
    returns how many buyers it holds."""
    await _one_at_a_time(session, merchant_id)
    currency = await session.scalar(
        select(Merchant.currency).where(Merchant.merchant_id == merchant_id)
    )
    if currency is None:
        return 0
    dialect = session.get_bind().dialect.name
    totals = purchase_totals(merchant_id, currency, now)
    scored = select(
        literal(merchant_id, Uuid()),
        totals.c.member_id,
        days_since(totals.c.last_order_at, now, dialect),
        totals.c.frequency,
        totals.c.monetary,
        totals.c.last_order_at,
        _score(totals.c.last_order_at),
        _score(totals.c.frequency),
        _score(totals.c.monetary),
        at(now),
    ).where(totals.c.frequency > 0)  # SQLite's upsert wants a WHERE after INSERT ... SELECT
    columns = [
        "merchant_id", "member_id", "recency_days", "frequency", "monetary", "last_order_at",
        "r_score", "f_score", "m_score", "computed_at",
    ]  # fmt: skip
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(MemberRfm).from_select(columns, scored)
    statement = statement.on_conflict_do_update(
        index_elements=["merchant_id", "member_id"],
        set_={name: statement.excluded[name] for name in columns[2:]},
    )
    await session.execute(statement)
    await session.execute(
        delete(MemberRfm)
        .where(MemberRfm.merchant_id == merchant_id, MemberRfm.computed_at != at(now))
        .execution_options(synchronize_session=False)
    )
    return int(
        await session.scalar(
            select(func.count()).select_from(MemberRfm).where(MemberRfm.merchant_id == merchant_id)
        )
        or 0
    )


async def compute_rfm(
    *, db: Database, merchant_id: uuid.UUID | None = None, now: datetime | None = None
) -> int:
    """Recompute the RFM of every buyer (of one merchant, or of all), one merchant per
    transaction; returns how many buyers have scores."""
    now = now or utcnow()
    if merchant_id is not None:
        merchants = [merchant_id]
    else:
        async with db.uow().read_only() as uow:
            merchants = list(await uow.session.scalars(select(Merchant.merchant_id)))
    buyers = 0
    for merchant in merchants:
        async with db.uow() as uow:
            buyers += await compute_merchant_rfm_in(uow.session, merchant_id=merchant, now=now)
            await uow.commit()
    return buyers


async def scheduled_rfm(*, db: Database) -> int:
    """The periodic job: recompute every merchant's RFM. Returns 0 (nothing waits: the next
    run is due at the next interval)."""
    await compute_rfm(db=db)
    return 0
