"""Use cases: show a member their current code, scan a code at a store, and (for POS order
intake) claim a scan for an order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.config import Settings
from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import OmniloopError, ValidationFailed
from omniloop.events import record_event
from omniloop.locations.errors import LocationNotFound
from omniloop.locations.models import Location
from omniloop.loyalty.ledger import Balances, balances_in
from omniloop.member_codes.domain import (
    FAILED_SCAN_WINDOW,
    SCAN_VALIDITY,
    MalformedMemberCode,
    ScanOutcome,
    code_digest,
    code_hint,
    compose,
    is_authentic,
    new_code_id,
    parse,
    qr_payload,
    retry_after_seconds,
    scans_left,
    scans_locked_until,
)
from omniloop.member_codes.errors import (
    InvalidMemberCode,
    MemberCodeExpired,
    MemberCodeUsed,
    MemberScanInvalid,
    ScansLocked,
)
from omniloop.member_codes.models import MemberCode, MemberScan, MemberScanClaim
from omniloop.members.domain import ActivityKind
from omniloop.members.identity import load_member, record_activity_in
from omniloop.members.models import Member
from omniloop.merchants.secrets import merchant_secret
from omniloop.shared.clock import ensure_utc, utcnow
from omniloop.shared.ids import new_id

SECRET_PURPOSE = "member_code"
SCAN_CHANNEL = "pos"
_ISSUE_TRIES = 3


@dataclass(frozen=True)
class IssuedCode:
    code: str
    qr_payload: str
    expires_at: datetime
    refresh_after: datetime


@dataclass(frozen=True)
class ScannedMember:
    scan_id: uuid.UUID
    expires_at: datetime
    member: Member
    balances: Balances


def _issued(code: str, expires_at: datetime) -> IssuedCode:
    # The same code is shown until it expires (or is used): asking sooner gains nothing.
    return IssuedCode(
        code=code, qr_payload=qr_payload(code), expires_at=expires_at, refresh_after=expires_at
    )


async def current_code(
    *, uow: UnitOfWork, settings: Settings, merchant_id: uuid.UUID, member_id: uuid.UUID
) -> IssuedCode:
    """The member's current code: the unexpired unused one, or a fresh one."""
    now = utcnow()
    async with uow:
        session = uow.session
        member = await load_member(session, merchant_id, member_id)
        # One issuer per member at a time, so two app screens agree on one current code.
        await load_member(session, merchant_id, member.id, follow_merges=False, lock=True)
        secret = await merchant_secret(session, merchant_id, SECRET_PURPOSE)
        current = await session.scalar(
            select(MemberCode)
            .where(
                MemberCode.merchant_id == merchant_id,
                MemberCode.member_id == member.id,
                MemberCode.used_at.is_(None),
                MemberCode.expires_at > now,
            )
            .order_by(MemberCode.created_at.desc(), MemberCode.id)
            .limit(1)
        )
        if current is not None:
            code = compose(secret, merchant_id=merchant_id, code_id=current.id)
            return _issued(code, ensure_utc(current.expires_at))
        expires_at = now + timedelta(seconds=settings.member_code_ttl_seconds)
        for attempt in range(_ISSUE_TRIES):
            code_id = new_code_id()
            code = compose(secret, merchant_id=merchant_id, code_id=code_id)
            try:
                async with session.begin_nested():
                    session.add(
                        MemberCode(
                            merchant_id=merchant_id,
                            id=code_id,
                            member_id=member.id,
                            code_digest=code_digest(code),
                            created_at=now,
                            expires_at=expires_at,
                        )
                    )
                    await session.flush()
            except IntegrityError as exc:
                # Ten random digits collide with a code issued before, now and then.
                if not is_unique_violation(exc) or attempt == _ISSUE_TRIES - 1:
                    raise
                continue
            break
        await uow.commit()
    return _issued(code, expires_at)


async def _lock_location(session: AsyncSession, merchant_id: uuid.UUID, code: str) -> None:
    found = await session.scalar(
        select(Location.code)
        .where(Location.merchant_id == merchant_id, Location.code == code)
        .with_for_update()
    )
    if found is None:
        raise LocationNotFound(code)


async def _recent_failures(
    session: AsyncSession, merchant_id: uuid.UUID, location: str, now: datetime
) -> list[datetime]:
    rows = await session.scalars(
        select(MemberScan.created_at).where(
            MemberScan.merchant_id == merchant_id,
            MemberScan.location_code == location,
            MemberScan.outcome == ScanOutcome.INVALID.value,
            MemberScan.created_at > now - FAILED_SCAN_WINDOW,
        )
    )
    return [ensure_utc(t) for t in rows]


async def _find_code(session: AsyncSession, merchant_id: uuid.UUID, code: str) -> MemberCode | None:
    secret = await merchant_secret(session, merchant_id, SECRET_PURPOSE)
    if not is_authentic(secret, merchant_id=merchant_id, code=code):
        return None
    found: MemberCode | None = await session.scalar(
        select(MemberCode)
        .where(MemberCode.merchant_id == merchant_id, MemberCode.code_digest == code_digest(code))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def scan(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, location: str, raw_code: str, actor: str
) -> ScannedMember:
    """Identify the member showing ``raw_code`` at ``location``, using the code up; every
    scan is logged, refused ones too."""
    now = utcnow()
    failure: OmniloopError | None = None
    row: MemberCode | None = None
    member: Member | None = None
    balances: Balances | None = None
    scan_id = new_id()
    async with uow:
        session = uow.session
        # One scan per location at a time, so the failure count cannot be outrun.
        await _lock_location(session, merchant_id, location)
        failures = await _recent_failures(session, merchant_id, location, now)
        until = scans_locked_until(failures, now=now)
        if until is not None:
            outcome = ScanOutcome.LOCKED
            failure = ScansLocked(
                f"too many unknown member codes at {location}; try again after {until.isoformat()}",
                retry_after=retry_after_seconds(until, now=now),
                locked_until=until.isoformat(),
            )
        else:
            try:
                code = parse(raw_code)
            except MalformedMemberCode as exc:
                outcome, failure = (
                    ScanOutcome.MALFORMED,
                    ValidationFailed(str(exc), field="member_code"),
                )
            else:
                row = await _find_code(session, merchant_id, code)
                if row is None:
                    outcome = ScanOutcome.INVALID
                    failure = InvalidMemberCode(
                        "not a member code of this merchant",
                        attempts_left=scans_left([*failures, now], now=now),
                    )
                elif row.used_at is not None:
                    outcome = ScanOutcome.USED
                    failure = MemberCodeUsed("the member code was scanned already; refresh it")
                elif ensure_utc(row.expires_at) <= now:
                    outcome = ScanOutcome.EXPIRED
                    failure = MemberCodeExpired("the member code has expired; refresh it")
                else:
                    outcome = ScanOutcome.SUCCESS
                    row.used_at, row.used_location = now, location
                    member = await load_member(session, merchant_id, row.member_id)
        session.add(
            MemberScan(
                merchant_id=merchant_id,
                id=scan_id,
                location_code=location,
                outcome=outcome.value,
                code_hint=code_hint(raw_code),
                member_id=member.id if member is not None else None,
                member_code_id=row.id if row is not None else None,
                actor=actor,
                created_at=now,
                expires_at=now + SCAN_VALIDITY if member is not None else None,
            )
        )
        if member is not None:
            record_activity_in(
                session,
                merchant_id=merchant_id,
                member_id=member.id,
                kind=ActivityKind.SCANNED,
                channel=SCAN_CHANNEL,
                location=location,
                detail={"scan_id": str(scan_id)},
            )
            record_event(
                session,
                merchant_id=merchant_id,
                type="member.scanned",
                data={"member_id": str(member.id), "location": location, "scan_id": str(scan_id)},
            )
            balances = await balances_in(session, merchant_id, member.id)
        await uow.commit()
    if failure is not None:
        raise failure
    assert member is not None and balances is not None
    return ScannedMember(
        scan_id=scan_id, expires_at=now + SCAN_VALIDITY, member=member, balances=balances
    )


async def claim_scan_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    scan_id: uuid.UUID,
    location: str,
    order_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """The member a successful scan at ``location`` identified, claiming the scan for one
    order (in the caller's transaction); 409 member_scan_invalid when the scan is unknown,
    elsewhere, expired or claimed by another order. Claiming again for the same
    ``order_id`` is a no-op, so order intake can be retried."""
    found = await session.scalar(
        select(MemberScan).where(
            MemberScan.merchant_id == merchant_id,
            MemberScan.id == scan_id,
            MemberScan.outcome == ScanOutcome.SUCCESS.value,
        )
    )
    if found is None or found.member_id is None or found.location_code != location:
        raise MemberScanInvalid(f"no member was scanned at {location} with scan {scan_id}")
    claim = await session.get(MemberScanClaim, (merchant_id, scan_id))
    if claim is None:
        if found.expires_at is None or ensure_utc(found.expires_at) <= utcnow():
            raise MemberScanInvalid("the member scan has expired; scan the member code again")
        try:
            async with session.begin_nested():
                session.add(
                    MemberScanClaim(
                        merchant_id=merchant_id,
                        scan_id=scan_id,
                        order_id=order_id,
                        created_at=utcnow(),
                    )
                )
                await session.flush()
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            claim = await session.get(
                MemberScanClaim, (merchant_id, scan_id), populate_existing=True
            )
    if claim is not None and (order_id is None or claim.order_id != order_id):
        raise MemberScanInvalid("the member scan was used for another order already")
    member = await load_member(session, merchant_id, found.member_id)
    return member.id
