"""Referral codes and who referred whom: :func:`record_referral_in` is the hook sign-up
calls in its own transaction when a new member joins with a code (the reward comes later:
:mod:`omniloop.referrals.rewards`).

Recording takes a per-merchant lock first (a transaction-scoped advisory lock on
PostgreSQL; SQLite has one writer anyway): two referrals recorded at once could otherwise
each pass the loop check and together close a loop.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import Unavailable
from omniloop.events import record_event
from omniloop.members.identity import load_member
from omniloop.referrals.domain import (
    ATTACH_WINDOW,
    RefusalReason,
    new_referral_code,
    normalize_code,
    refusal,
)
from omniloop.referrals.errors import ReferralRefused, UnknownReferralCode
from omniloop.referrals.models import Referral, ReferralCode
from omniloop.referrals.program import stored_rule_in
from omniloop.referrals.schemas import ReferralCodeOut, ReferralOut
from omniloop.shared.clock import utcnow

CODE_ATTEMPTS = 5
_LOCK_CLASS = 0x524546  # "REF": the advisory-lock namespace of referrals

_REFUSALS = {
    RefusalReason.SELF_REFERRAL: "a member cannot use their own referral code",
    RefusalReason.EXISTING_MEMBER: "only a new member can be referred",
    RefusalReason.ALREADY_REFERRED: "this member was already referred",
    RefusalReason.LOOP: "the code's owner was brought in by this member (directly or not)",
    RefusalReason.PROGRAM_DISABLED: "the merchant's referral program is off",
}


# --------------------------------------------------------------------------- codes


async def referral_code_in(
    session: AsyncSession, *, merchant_id: uuid.UUID, member_id: uuid.UUID
) -> ReferralCode:
    """The member's code, made on first ask, in the caller's transaction."""
    query = (
        select(ReferralCode)
        .where(ReferralCode.merchant_id == merchant_id, ReferralCode.member_id == member_id)
        .execution_options(populate_existing=True)
    )
    for _ in range(CODE_ATTEMPTS):
        existing = await session.scalar(query)
        if existing is not None:
            return existing
        row = ReferralCode(
            merchant_id=merchant_id,
            member_id=member_id,
            code=new_referral_code(),
            created_at=utcnow(),
        )
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
            return row
        except IntegrityError as exc:
            # Made by a concurrent first ask (read it next round), or a code taken already.
            if not is_unique_violation(exc):
                raise
    raise Unavailable("no free referral code was found; retry")


async def get_referral_code(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, member_id: uuid.UUID
) -> ReferralCodeOut:
    """The member's referral code (the survivor's, for a merged id) and how it has done."""
    async with uow:
        member = await load_member(uow.session, merchant_id, member_id)
        row = await referral_code_in(uow.session, merchant_id=merchant_id, member_id=member.id)
        referred, rewarded = (
            await uow.session.execute(
                select(func.count(), func.count(Referral.rewarded_at)).where(
                    Referral.merchant_id == merchant_id, Referral.referrer_id == member.id
                )
            )
        ).one()
        await uow.commit()
    return ReferralCodeOut(
        member_id=member.id,
        code=row.code,
        created_at=row.created_at,
        referred=int(referred),
        rewarded=int(rewarded),
    )


# --------------------------------------------------------------------------- referring


async def _one_at_a_time(session: AsyncSession, merchant_id: uuid.UUID) -> None:
    if session.get_bind().dialect.name == "postgresql":
        objid = int.from_bytes(merchant_id.bytes[:4], "big", signed=True)
        await session.execute(select(func.pg_advisory_xact_lock(_LOCK_CLASS, objid)))


async def _ancestors(
    session: AsyncSession, merchant_id: uuid.UUID, member_id: uuid.UUID
) -> frozenset[uuid.UUID]:
    """Who referred ``member_id``, who referred them, and so on (one recursive query)."""
    chain = (
        select(Referral.referrer_id)
        .where(Referral.merchant_id == merchant_id, Referral.referee_id == member_id)
        .cte("chain", recursive=True)
    )
    up = aliased(Referral)
    chain = chain.union(
        select(up.referrer_id).where(
            up.merchant_id == merchant_id, up.referee_id == chain.c.referrer_id
        )
    )
    return frozenset(await session.scalars(select(chain.c.referrer_id)))


async def record_referral_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    referee_id: uuid.UUID,
    referral_code: str,
    referee_created: bool,
) -> None:
    """Record that the owner of ``referral_code`` referred ``referee_id``, who joined just
    now (``referee_created``), in the caller's transaction. Refused with
    ``referral_refused`` and a reason: 422 unknown_code, 409 program_disabled,
    self_referral, existing_member, already_referred, loop."""
    code = normalize_code(referral_code)
    if code is None:
        raise UnknownReferralCode()
    await _one_at_a_time(session, merchant_id)
    owner = await session.scalar(
        select(ReferralCode.member_id).where(
            ReferralCode.merchant_id == merchant_id, ReferralCode.code == code
        )
    )
    if owner is None:
        raise UnknownReferralCode()
    rule, _ = await stored_rule_in(session, merchant_id)
    if not rule.enabled:
        raise ReferralRefused(
            _REFUSALS[RefusalReason.PROGRAM_DISABLED], reason=RefusalReason.PROGRAM_DISABLED
        )
    referrer = await load_member(session, merchant_id, owner)
    referee = await load_member(session, merchant_id, referee_id)
    reason = refusal(
        referrer_id=referrer.id,
        referee_id=referee.id,
        referee_created=referee_created,
        already_referred=await session.get(Referral, (merchant_id, referee.id)) is not None,
        referrer_ancestors=await _ancestors(session, merchant_id, referrer.id),
    )
    if reason is not None:
        raise ReferralRefused(_REFUSALS[reason], reason=reason)
    referral = Referral(
        merchant_id=merchant_id,
        referee_id=referee.id,
        referrer_id=referrer.id,
        code=code,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(referral)
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        reason = RefusalReason.ALREADY_REFERRED
        raise ReferralRefused(_REFUSALS[reason], reason=reason) from None
    record_event(
        session,
        merchant_id=merchant_id,
        type="referral.recorded",
        data={"referrer_id": str(referrer.id), "referee_id": str(referee.id), "code": code},
    )


async def attach_referrer(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, member_id: uuid.UUID, referral_code: str
) -> ReferralOut:
    """Name who referred a member who joined in the last 24 hours (older members are not
    new: 409 referral_refused existing_member)."""
    async with uow:
        member = await load_member(uow.session, merchant_id, member_id)
        await record_referral_in(
            uow.session,
            merchant_id=merchant_id,
            referee_id=member.id,
            referral_code=referral_code,
            referee_created=utcnow() - member.created_at <= ATTACH_WINDOW,
        )
        referral = await uow.session.get(Referral, (merchant_id, member.id))
        assert referral is not None
        view = ReferralOut.model_validate(referral, from_attributes=True)
        await uow.commit()
    return view


# --------------------------------------------------------------------------- merges


async def merge_referrals_in(
    session: AsyncSession, merchant_id: uuid.UUID, survivor_id: uuid.UUID, absorbed_id: uuid.UUID
) -> None:
    """When two members merge: those the absorbed record referred become the survivor's
    referees; its own referral passes to the survivor if the survivor has none and it would
    not be the survivor referring itself. (Members' merge participant.)"""
    await session.execute(
        update(Referral)
        .where(
            Referral.merchant_id == merchant_id,
            Referral.referrer_id == absorbed_id,
            Referral.referee_id != survivor_id,
        )
        .values(referrer_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
    own = await session.get(Referral, (merchant_id, absorbed_id))
    survivors = await session.get(Referral, (merchant_id, survivor_id))
    if own is None or survivors is not None or own.referrer_id == survivor_id:
        return
    moved = Referral(
        merchant_id=merchant_id,
        referee_id=survivor_id,
        referrer_id=own.referrer_id,
        code=own.code,
        created_at=own.created_at,
        rewarded_at=own.rewarded_at,
        reward_order_id=own.reward_order_id,
        rewards=own.rewards,
    )
    await session.delete(own)
    await session.flush()
    session.add(moved)
    await session.flush()
