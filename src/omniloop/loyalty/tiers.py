"""Tiers follow rolling net spend: recomputed for one member when its spend changes, and
for every member by a scheduled job (spend also leaves the window as time passes, which
moves no order, so only the job sees those downgrades).

The job is set-based, one merchant per transaction: it creates the accounts members lack,
finds the accounts whose tier differs from what one grouped query of their rolling spend
says (a CASE over the tier thresholds), updates them with one UPDATE per target tier
(``member_id IN`` a grouped subquery whose HAVING is that tier's spend range) and writes
their events in one bulk insert. No Python loop touches a member row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import Database, UtcDateTime
from omniloop.events import OutboxEvent, record_event
from omniloop.loyalty.domain import Program, tier_for
from omniloop.loyalty.ledger import ensure_account_in
from omniloop.loyalty.models import LoyaltyAccount, SpendEntry
from omniloop.loyalty.program import load_program
from omniloop.members.domain import MemberStatus
from omniloop.members.models import Member
from omniloop.merchants.models import Merchant
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

TIER_CHANGED = "member.tier_changed"


@dataclass(frozen=True)
class TierRun:
    members: int
    changed: int

    def __add__(self, other: TierRun) -> TierRun:
        return TierRun(self.members + other.members, self.changed + other.changed)


def _announced(program: Program, previous: str | None, target: str) -> bool:
    """A new account taking the first tier is no news; every other change is."""
    return not (previous is None and target == program.tiers[0].code)


def _event_data(
    member_id: uuid.UUID, previous: str | None, target: str, spend: int
) -> dict[str, Any]:
    return {"member_id": str(member_id), "from": previous, "to": target, "rolling_spend": spend}


async def recompute_tier_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    program: Program,
    now: datetime | None = None,
) -> str | None:
    """Set the member's tier from its rolling spend, in the caller's transaction; records
    ``member.tier_changed`` when it moves. Returns the tier."""
    now = now or utcnow()
    account = await ensure_account_in(session, merchant_id, member_id)
    rolling = int(
        await session.scalar(
            select(func.coalesce(func.sum(SpendEntry.amount), 0)).where(
                SpendEntry.merchant_id == merchant_id,
                SpendEntry.member_id == member_id,
                SpendEntry.created_at >= now - timedelta(days=program.tier_window_days),
            )
        )
        or 0
    )
    target = tier_for(program, rolling).code
    if account.tier == target:
        return target
    previous = account.tier
    account.tier = target
    account.tier_changed_at = now
    account.updated_at = now
    if _announced(program, previous, target):
        record_event(
            session,
            merchant_id=merchant_id,
            type=TIER_CHANGED,
            data=_event_data(member_id, previous, target, rolling),
        )
    await session.flush()
    return target


# --------------------------------------------------------------------------- every member


def _at(name: str, value: datetime) -> Any:
    """A timestamp as a bound value of our UTC type (a bare literal loses the type)."""
    return bindparam(name, value, type_=UtcDateTime(), unique=True)


def _spend_in_window(merchant_id: uuid.UUID, since: datetime) -> Any:
    return (
        select(SpendEntry.member_id)
        .where(SpendEntry.merchant_id == merchant_id, SpendEntry.created_at >= since)
        .group_by(SpendEntry.member_id)
    )


def _members_in_range(
    program: Program, index: int, merchant_id: uuid.UUID, since: datetime
) -> ColumnElement[bool]:
    """Accounts whose rolling spend falls in tier ``index``'s range."""
    tiers = program.tiers
    total = func.sum(SpendEntry.amount)
    if index == 0:
        if len(tiers) == 1:
            return true()
        above = _spend_in_window(merchant_id, since).having(total >= tiers[1].threshold)
        return LoyaltyAccount.member_id.not_in(above)
    having = [total >= tiers[index].threshold]
    if index + 1 < len(tiers):
        having.append(total < tiers[index + 1].threshold)
    return LoyaltyAccount.member_id.in_(_spend_in_window(merchant_id, since).having(and_(*having)))


async def _add_missing_accounts(
    session: AsyncSession, merchant_id: uuid.UUID, program: Program, now: datetime
) -> None:
    """Every active member gets an account, at the first tier (the update moves it on)."""
    has_account = exists().where(
        LoyaltyAccount.merchant_id == Member.merchant_id, LoyaltyAccount.member_id == Member.id
    )
    missing = select(
        Member.merchant_id,
        Member.id,
        literal(0),
        literal(0),
        literal(0),
        literal(program.tiers[0].code),
        _at("changed_at", now),
        _at("updated_at", now),
    ).where(
        Member.merchant_id == merchant_id,
        Member.status == MemberStatus.ACTIVE.value,
        ~has_account,
    )
    insert_ = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    columns = [
        "merchant_id",
        "member_id",
        "points_balance",
        "wallet_principal",
        "wallet_bonus",
        "tier",
        "tier_changed_at",
        "updated_at",
    ]
    statement = insert_(LoyaltyAccount).from_select(columns, missing).on_conflict_do_nothing()
    await session.execute(statement)


async def recompute_merchant_tiers_in(
    session: AsyncSession, *, merchant_id: uuid.UUID, program: Program, now: datetime
) -> TierRun:
    """Recompute every member's tier of one merchant in the caller's transaction."""
    since = now - timedelta(days=program.tier_window_days)
    await _add_missing_accounts(session, merchant_id, program, now)
    spend = (
        select(SpendEntry.member_id, func.sum(SpendEntry.amount).label("total"))
        .where(SpendEntry.merchant_id == merchant_id, SpendEntry.created_at >= since)
        .group_by(SpendEntry.member_id)
        .subquery()
    )
    rolling = func.coalesce(spend.c.total, 0)
    tiers = program.tiers
    target = case(
        *[(rolling >= t.threshold, literal(t.code)) for t in reversed(tiers[1:])],
        else_=literal(tiers[0].code),
    )
    # Merged-away members keep their rows but are nobody's tier any more.
    active = exists().where(
        Member.merchant_id == LoyaltyAccount.merchant_id,
        Member.id == LoyaltyAccount.member_id,
        Member.status == MemberStatus.ACTIVE.value,
    )
    changed_query = (
        select(LoyaltyAccount.member_id, LoyaltyAccount.tier, rolling, target)
        .outerjoin(spend, spend.c.member_id == LoyaltyAccount.member_id)
        .where(
            LoyaltyAccount.merchant_id == merchant_id,
            active,
            LoyaltyAccount.tier.is_distinct_from(target),
        )
    )
    if session.get_bind().dialect.name == "postgresql":
        # Hold the accounts that move, so a posting's own recompute waits and then agrees.
        changed_query = changed_query.with_for_update(of=LoyaltyAccount)
    changed = (await session.execute(changed_query)).all()
    members = int(
        await session.scalar(
            select(func.count()).where(LoyaltyAccount.merchant_id == merchant_id, active)
        )
        or 0
    )
    targets = {code for _, _, _, code in changed}
    for index, tier in enumerate(tiers):
        if tier.code not in targets:
            continue
        await session.execute(
            update(LoyaltyAccount)
            .where(
                LoyaltyAccount.merchant_id == merchant_id,
                active,
                _members_in_range(program, index, merchant_id, since),
                LoyaltyAccount.tier.is_distinct_from(tier.code),
            )
            .values(tier=tier.code, tier_changed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    written = utcnow()  # the outbox orders by when events were written, not by ``now``
    events = [
        {
            "merchant_id": merchant_id,
            "id": new_id(),
            "type": TIER_CHANGED,
            "data": _event_data(member_id, previous, code, int(spent)),
            "created_at": written,
        }
        for member_id, previous, spent, code in changed
        if _announced(program, previous, code)
    ]
    if events:
        await session.execute(insert(OutboxEvent), events)
    return TierRun(members=members, changed=len(changed))


async def recompute_all_tiers(
    *, db: Database, merchant_id: uuid.UUID | None = None, now: datetime | None = None
) -> TierRun:
    """Recompute the tier of every member (of one merchant, or of all), one merchant per
    transaction; returns how many accounts were looked at and how many moved."""
    now = now or utcnow()
    if merchant_id is not None:
        merchants = [merchant_id]
    else:
        async with db.uow().read_only() as uow:
            merchants = list(await uow.session.scalars(select(Merchant.merchant_id)))
    run = TierRun(0, 0)
    for merchant in merchants:
        async with db.uow() as uow:
            program = await load_program(uow.session, merchant)
            run += await recompute_merchant_tiers_in(
                uow.session, merchant_id=merchant, program=program, now=now
            )
            await uow.commit()
    return run


async def scheduled_tier_recompute(*, db: Database) -> int:
    """The periodic job: recompute every tier. Returns 0 (nothing is left waiting: the
    next run is due only at the next interval)."""
    await recompute_all_tiers(db=db)
    return 0
