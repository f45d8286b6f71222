"""Giving coupons out: grants by staff (one member, a list, a segment) and claims by members
themselves.

Every grant of a template runs under that template's row lock, and its ``issued`` counter
only grows by a conditional ``UPDATE ... SET issued = issued + n WHERE issued + n <=
total_quota``: concurrent grants and claims queue on the template, so neither the total
quota nor a member's limit is ever passed. A grant is all or nothing for the quota (409
``coupon_quota_exhausted`` when it does not fit whole). Members who already hold as many
coupons of the template as ``per_member_limit`` allows are skipped by grants and refused
(409 ``coupon_limit_reached``) when they claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import Unavailable, ValidationFailed
from omniloop.events import record_event
from omniloop.idempotency import Outcome, run_once
from omniloop.members.domain import MemberStatus
from omniloop.members.errors import MemberNotFound
from omniloop.members.identity import load_member
from omniloop.members.models import Member
from omniloop.promotions.coupons import coupon_out
from omniloop.promotions.domain import CouponStatus
from omniloop.promotions.errors import (
    CouponLimitReached,
    CouponNotClaimable,
    CouponQuotaExhausted,
    CouponTemplateClosed,
)
from omniloop.promotions.models import Coupon, CouponTemplate
from omniloop.promotions.rules import (
    GrantedVia,
    grant_window_problem,
    new_coupon_code,
    validity,
)
from omniloop.promotions.schemas import GrantIn, GrantOut
from omniloop.promotions.service import load_template
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

CHUNK = 500
"""Members per ``IN (...)`` query and coupons per ``coupon.granted`` event."""
GRANT_ATTEMPTS = 3
LISTED_COUPONS = 100

SegmentResolver = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[list[uuid.UUID]]]
"""``(session, merchant_id, segment_id) -> member ids``: the members of a saved segment
(404 when there is no such segment)."""


class SegmentMembers:
    """Segments sit above promotions: they register how to list a segment's members (by the
    app factory), so a grant can name a ``segment_id``."""

    def __init__(self) -> None:
        self._resolver: SegmentResolver | None = None

    def register(self, resolver: SegmentResolver) -> None:
        self._resolver = resolver

    def unregister(self) -> None:
        self._resolver = None

    async def resolve(
        self, session: AsyncSession, merchant_id: uuid.UUID, segment_id: uuid.UUID
    ) -> list[uuid.UUID]:
        if self._resolver is None:
            raise ValidationFailed("segments are not available here", field="segment_id")
        return await self._resolver(session, merchant_id, segment_id)


segment_members = SegmentMembers()


# -- in the caller's transaction ---------------------------------------------------------------


async def _survivors(
    session: AsyncSession, merchant_id: uuid.UUID, member_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """The members, each once, merged records replaced by their survivors; 404 naming any
    unknown."""
    wanted = list(dict.fromkeys(member_ids))
    found: dict[uuid.UUID, uuid.UUID] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = await session.execute(
            select(Member.id, Member.status).where(
                Member.merchant_id == merchant_id, Member.id.in_(chunk)
            )
        )
        for member_id, status in rows:
            found[member_id] = member_id
            if status == MemberStatus.MERGED.value:
                found[member_id] = (await load_member(session, merchant_id, member_id)).id
    missing = [str(m) for m in wanted if m not in found]
    if missing:
        raise MemberNotFound(f"no member {', '.join(missing[:5])}", member_ids=missing[:100])
    return list(dict.fromkeys(found[m] for m in wanted))


async def _held_counts(
    session: AsyncSession, merchant_id: uuid.UUID, template_id: uuid.UUID, members: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    counts: dict[uuid.UUID, int] = {}
    for start in range(0, len(members), CHUNK):
        rows = await session.execute(
            select(Coupon.member_id, func.count())
            .where(
                Coupon.merchant_id == merchant_id,
                Coupon.template_id == template_id,
                Coupon.member_id.in_(members[start : start + CHUNK]),
            )
            .group_by(Coupon.member_id)
        )
        counts.update({member_id: int(n) for member_id, n in rows})
    return counts


async def _take_quota(session: AsyncSession, template: CouponTemplate, n: int) -> None:
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(CouponTemplate)
        .where(
            CouponTemplate.merchant_id == template.merchant_id,
            CouponTemplate.id == template.id,
            or_(
                CouponTemplate.total_quota.is_(None),
                CouponTemplate.issued + n <= CouponTemplate.total_quota,
            ),
        )
        .values(issued=CouponTemplate.issued + n, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        left = max(0, (template.total_quota or 0) - template.issued)
        raise CouponQuotaExhausted(
            f"the template has {left} coupons left; this grant needs {n}", remaining=left, asked=n
        )
    template.issued += n  # what the UPDATE wrote (the row is locked: nobody else moved it)


def _unique_codes(n: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < n:
        codes.add(new_coupon_code())
    return list(codes)


def _coupon_data(coupon: Coupon) -> dict[str, Any]:
    return {
        "id": str(coupon.id),
        "code": coupon.code,
        "member_id": str(coupon.member_id),
        "valid_from": coupon.valid_from.isoformat(),
        "valid_until": coupon.valid_until.isoformat(),
    }


@dataclass(frozen=True)
class Granted:
    template: CouponTemplate
    coupons: list[Coupon]
    skipped: list[uuid.UUID]
    """Members at their limit, who got nothing."""


async def grant_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    template_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    via: str,
    campaign_id: uuid.UUID | None = None,
    actor: str,
    on_limit: Literal["skip", "refuse"] = "skip",
) -> list[Coupon]:
    """Give one coupon of the template to each member, in the caller's transaction.

    All or nothing for the quota (409 ``coupon_quota_exhausted``). Members at their
    ``per_member_limit`` are skipped (``on_limit="skip"``, absent from the result) or refuse
    the whole grant (``"refuse"``: 409 ``coupon_limit_reached``). Merged members get theirs
    on the surviving record; an unknown member is 404 ``member_not_found``. 409
    ``coupon_template_closed`` when the template is inactive or its window has ended. The
    caller's commit may meet a unique violation on a coupon code (about once in 10^17):
    retry the transaction."""
    granted = await grant_detailed_in(
        session,
        merchant_id=merchant_id,
        template_id=template_id,
        member_ids=member_ids,
        via=via,
        campaign_id=campaign_id,
        actor=actor,
        on_limit=on_limit,
    )
    return granted.coupons


async def grant_detailed_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    template_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    via: str,
    campaign_id: uuid.UUID | None = None,
    actor: str,
    on_limit: Literal["skip", "refuse"] = "skip",
) -> Granted:
    """:func:`grant_in`, also saying which members were skipped."""
    GrantedVia(via)
    template = await load_template(session, merchant_id, template_id, lock=True)
    now = utcnow()
    problem = grant_window_problem(
        active=template.active,
        ends_at=template.ends_at,
        days_after_grant=template.days_after_grant,
        at=now,
    )
    if problem:
        raise CouponTemplateClosed(problem)
    members = await _survivors(session, merchant_id, member_ids)
    recipients = members
    if template.per_member_limit is not None:
        counts = await _held_counts(session, merchant_id, template.id, members)
        recipients = [m for m in members if counts.get(m, 0) < template.per_member_limit]
        if on_limit == "refuse" and len(recipients) < len(members):
            raise CouponLimitReached(
                f"a member holds at most {template.per_member_limit} of these coupons",
                limit=template.per_member_limit,
            )
    chosen = set(recipients)
    skipped = [m for m in members if m not in chosen]
    if not recipients:
        return Granted(template, [], skipped)
    await _take_quota(session, template, len(recipients))
    valid_from, valid_until = validity(
        granted_at=now,
        starts_at=template.starts_at,
        ends_at=template.ends_at,
        days_after_grant=template.days_after_grant,
    )
    campaign = campaign_id or template.campaign_id
    coupons = [
        Coupon(
            id=new_id(),
            merchant_id=merchant_id,
            template_id=template.id,
            member_id=member_id,
            code=code,
            status=CouponStatus.AVAILABLE.value,
            valid_from=valid_from,
            valid_until=valid_until,
            granted_via=via,
            campaign_id=campaign,
            granted_by=actor,
            granted_at=now,
        )
        for member_id, code in zip(recipients, _unique_codes(len(recipients)), strict=True)
    ]
    session.add_all(coupons)
    await session.flush()
    event = "coupon.claimed" if via == GrantedVia.CLAIM else "coupon.granted"
    for start in range(0, len(coupons), CHUNK):
        record_event(
            session,
            merchant_id=merchant_id,
            type=event,
            data={
                "template_id": str(template.id),
                "campaign_id": str(campaign) if campaign else None,
                "via": via,
                "actor": actor,
                "coupons": [_coupon_data(c) for c in coupons[start : start + CHUNK]],
            },
        )
    return Granted(template, coupons, skipped)


# -- use cases ---------------------------------------------------------------------------------


async def _with_fresh_codes(uow: UnitOfWork, run: Callable[[], Awaitable[Outcome]]) -> Outcome:
    for _ in range(GRANT_ATTEMPTS):
        try:
            return await run()
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            continue  # a random coupon code collided: draw again
    raise Unavailable("could not give out coupons; retry")


async def grant(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    template_id: uuid.UUID,
    body: GrantIn,
    actor: str,
    idempotency_key: str | None,
) -> Outcome:
    """Grant coupons to a member, a list of members or a segment (skipping members at
    their limit); an ``Idempotency-Key`` replays the first answer."""
    given = [body.member_id is not None, body.member_ids is not None, body.segment_id is not None]
    if sum(given) != 1:
        raise ValidationFailed(
            "name exactly one of member_id, member_ids or segment_id", field="member_id"
        )

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        session = uow.session
        if body.segment_id is not None:
            members = await segment_members.resolve(session, merchant_id, body.segment_id)
            via = GrantedVia.SEGMENT
        else:
            members = [body.member_id] if body.member_id else list(body.member_ids or [])
            via = GrantedVia.GRANT
        granted = await grant_detailed_in(
            session,
            merchant_id=merchant_id,
            template_id=template_id,
            member_ids=members,
            via=via,
            campaign_id=body.campaign_id,
            actor=actor,
        )
        now = utcnow()
        out = GrantOut(
            template_id=template_id,
            granted=len(granted.coupons),
            skipped_member_ids=granted.skipped,
            coupons=[
                coupon_out(c, granted.template, at=now) for c in granted.coupons[:LISTED_COUPONS]
            ],
        )
        return 201, out.model_dump(mode="json")

    async def run() -> Outcome:
        return await run_once(
            uow=uow,
            merchant_id=merchant_id,
            scope=f"coupons.grant:{template_id}",
            key=idempotency_key,
            payload=body.model_dump(mode="json"),
            action=action,
        )

    return await _with_fresh_codes(uow, run)


async def claim(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    template_id: uuid.UUID,
    member_id: uuid.UUID,
    actor: str,
    idempotency_key: str | None,
) -> Outcome:
    """A member claims a coupon of a claimable template for themselves (领券): refused at
    their limit or when the quota is gone."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        session = uow.session
        template = await load_template(session, merchant_id, template_id)
        if not template.claimable:
            raise CouponNotClaimable("this coupon is given out by the merchant, not claimed")
        coupons = await grant_in(
            session,
            merchant_id=merchant_id,
            template_id=template_id,
            member_ids=[member_id],
            via=GrantedVia.CLAIM,
            actor=actor,
            on_limit="refuse",
        )
        return 201, coupon_out(coupons[0], template, at=utcnow()).model_dump(mode="json")

    async def run() -> Outcome:
        return await run_once(
            uow=uow,
            merchant_id=merchant_id,
            scope=f"coupons.claim:{template_id}",
            key=idempotency_key,
            payload={"member_id": str(member_id)},
            action=action,
        )

    return await _with_fresh_codes(uow, run)
