"""Use cases: send a one-time code, trade it for a customer token, resolve a token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.config import Settings
from omniloop.customer_auth import tokens
from omniloop.customer_auth.domain import (
    RESEND_INTERVAL,
    SEND_WINDOW,
    ChallengeState,
    attempts_left,
    challenge_state,
    client_send_at,
    new_otp,
    next_send_at,
    otp_digest,
    otp_matches,
    otp_text,
    seconds_until,
)
from omniloop.customer_auth.errors import (
    InvalidCustomerToken,
    InvalidOtp,
    MerchantNotFound,
    OtpRateLimited,
    SandboxOff,
)
from omniloop.customer_auth.models import OtpChallenge, OtpPhone, SandboxSms
from omniloop.customer_auth.sms import SmsMessage, get_sender
from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import OmniloopError
from omniloop.events import record_event
from omniloop.marketing.tracking import link_visitor_in
from omniloop.members.domain import ActivityKind, MemberStatus
from omniloop.members.identity import record_activity_in
from omniloop.members.join import join_member_in, verify_join_token
from omniloop.members.models import Member
from omniloop.merchants.domain import Principal, Role
from omniloop.merchants.models import Merchant
from omniloop.merchants.secrets import existing_merchant_secret, merchant_secret
from omniloop.referrals.errors import ReferralRefused
from omniloop.referrals.service import record_referral_in
from omniloop.shared.clock import ensure_utc, utcnow
from omniloop.shared.ids import new_id

OTP_PURPOSE = "otp"
TOKEN_PURPOSE = "customer_token"
OTP_TEMPLATE = "sign_in_code"


@dataclass(frozen=True)
class OtpSent:
    expires_in: int
    resend_after: int


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    expires_in: int
    member_id: uuid.UUID
    referral: dict[str, str] | None = None


async def _ensure_merchant(session: AsyncSession, merchant_id: uuid.UUID) -> None:
    if await session.get(Merchant, merchant_id) is None:
        raise MerchantNotFound(f"no merchant {merchant_id}")


async def _lock_phone(session: AsyncSession, merchant_id: uuid.UUID, phone: str) -> None:
    """Hold the phone's lock row until the transaction ends (made on first use)."""
    query = (
        select(OtpPhone.phone)
        .where(OtpPhone.merchant_id == merchant_id, OtpPhone.phone == phone)
        .with_for_update()
    )
    if await session.scalar(query) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(OtpPhone(merchant_id=merchant_id, phone=phone, created_at=utcnow()))
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        await session.scalar(query)


async def request_otp(
    *,
    uow: UnitOfWork,
    settings: Settings,
    merchant_id: uuid.UUID,
    phone: str,
    client: str | None = None,
) -> OtpSent:
    """Send a one-time sign-in code to ``phone`` (E.164), within the sending limits per
    phone and per ``client`` (the caller's address)."""
    sender = get_sender(settings)
    now = utcnow()
    async with uow:
        session = uow.session
        await _ensure_merchant(session, merchant_id)
        await _lock_phone(session, merchant_id, phone)
        sent = await session.scalars(
            select(OtpChallenge.created_at).where(
                OtpChallenge.merchant_id == merchant_id,
                OtpChallenge.phone == phone,
                OtpChallenge.created_at > now - SEND_WINDOW,
            )
        )
        wait = next_send_at([ensure_utc(t) for t in sent], now=now)
        if wait is not None:
            raise OtpRateLimited(
                f"a code was sent to this phone recently; ask again after {wait.isoformat()}",
                retry_after=seconds_until(wait, now=now),
            )
        if client is not None:
            asked = await session.scalars(
                select(OtpChallenge.created_at).where(
                    OtpChallenge.merchant_id == merchant_id,
                    OtpChallenge.requested_by == client,
                    OtpChallenge.created_at > now - SEND_WINDOW,
                )
            )
            wait = client_send_at(
                [ensure_utc(t) for t in asked], now=now, limit=settings.otp_max_per_client_per_hour
            )
            if wait is not None:
                raise OtpRateLimited(
                    f"too many codes asked for from here; ask again after {wait.isoformat()}",
                    retry_after=seconds_until(wait, now=now),
                )
        secret = await merchant_secret(session, merchant_id, OTP_PURPOSE)
        code, challenge_id = new_otp(), new_id()
        session.add(
            OtpChallenge(
                merchant_id=merchant_id,
                id=challenge_id,
                phone=phone,
                code_digest=otp_digest(secret, challenge_id=challenge_id, phone=phone, code=code),
                wrong_attempts=0,
                created_at=now,
                expires_at=now + timedelta(seconds=settings.otp_ttl_seconds),
                requested_by=client[:64] if client else None,
            )
        )
        minutes = max(1, settings.otp_ttl_seconds // 60)
        await sender.send(
            SmsMessage(
                merchant_id=merchant_id,
                phone=phone,
                template=OTP_TEMPLATE,
                params={"code": code, "minutes": minutes},
                text=otp_text(code, minutes=minutes),
            ),
            session=session,
        )
        await uow.commit()
    return OtpSent(
        expires_in=settings.otp_ttl_seconds, resend_after=int(RESEND_INTERVAL.total_seconds())
    )


_REFUSALS = {
    ChallengeState.EXPIRED: "the code has expired; ask for a new one",
    ChallengeState.USED: "the code was used already; ask for a new one",
    ChallengeState.EXHAUSTED: "too many wrong codes; ask for a new one",
}


async def _admit_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    phone: str,
    channel: str,
    join_token: str | None,
    visitor_id: str | None = None,
    referral_code: str | None = None,
) -> tuple[Member, dict[str, str] | None]:
    """The member a verified phone signs in as (made on first sign-in), with the sign-in
    and, through a store's join code, the joining recorded; the browser's tracking visitor
    is linked to the member (campaign attribution), and a new member's referral code is
    recorded (a refused code does not stop the sign-in: the answer says why)."""
    location = None
    if join_token is not None:
        location = await verify_join_token(session, merchant_id, join_token)
    member, created = await join_member_in(
        session, merchant_id=merchant_id, phone=phone, name=None, channel=channel, location=location
    )
    if visitor_id:
        await link_visitor_in(
            session,
            merchant_id=merchant_id,
            visitor_id=visitor_id,
            member_id=member.id,
            at=utcnow(),
        )
    referral = None
    if referral_code:
        try:
            async with session.begin_nested():
                await record_referral_in(
                    session,
                    merchant_id=merchant_id,
                    referee_id=member.id,
                    referral_code=referral_code,
                    referee_created=created,
                )
            referral = {"status": "recorded"}
        except ReferralRefused as exc:
            referral = {"status": "refused", "reason": exc.reason.value, "detail": exc.detail}
    record_activity_in(
        session,
        merchant_id=merchant_id,
        member_id=member.id,
        kind=ActivityKind.SIGNED_IN,
        channel=channel,
    )
    record_event(
        session,
        merchant_id=merchant_id,
        type="member.signed_in",
        data={"member_id": str(member.id), "channel": channel, "created": created},
    )
    return member, referral


async def sign_in(
    *,
    uow: UnitOfWork,
    settings: Settings,
    merchant_id: uuid.UUID,
    phone: str,
    code: str,
    channel: str,
    join_token: str | None = None,
    visitor_id: str | None = None,
    referral_code: str | None = None,
) -> SignedIn:
    """Trade the latest code sent to ``phone`` for a customer token, finding or creating
    the member (who joins through the store of ``join_token`` when one is given)."""
    now = utcnow()
    failure: OmniloopError | None = None
    async with uow:
        session = uow.session
        challenge = await session.scalar(
            select(OtpChallenge)
            .where(OtpChallenge.merchant_id == merchant_id, OtpChallenge.phone == phone)
            .order_by(OtpChallenge.created_at.desc(), OtpChallenge.id)
            .limit(1)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if challenge is None:
            raise InvalidOtp("no code was sent to this phone; ask for one", attempts_left=0)
        state = challenge_state(
            expires_at=ensure_utc(challenge.expires_at),
            consumed_at=challenge.consumed_at,
            wrong_attempts=challenge.wrong_attempts,
            now=now,
        )
        if state is not ChallengeState.LIVE:
            raise InvalidOtp(_REFUSALS[state], attempts_left=0, reason=state.value)
        secret = await merchant_secret(session, merchant_id, OTP_PURPOSE)
        if not otp_matches(
            secret, challenge_id=challenge.id, phone=phone, code=code, digest=challenge.code_digest
        ):
            challenge.wrong_attempts += 1
            left = attempts_left(challenge.wrong_attempts)
            detail = "the code is wrong" + ("" if left else "; ask for a new one")
            failure = InvalidOtp(detail, attempts_left=left, reason="wrong")
            await uow.commit()
        else:
            member, referral = await _admit_in(
                session,
                merchant_id=merchant_id,
                phone=phone,
                channel=channel,
                join_token=join_token,
                visitor_id=visitor_id,
                referral_code=referral_code,
            )
            challenge.consumed_at, challenge.member_id = now, member.id
            token_secret = await merchant_secret(session, merchant_id, TOKEN_PURPOSE)
            ttl = timedelta(seconds=settings.customer_token_ttl_seconds)
            token, _claims = tokens.issue(
                token_secret, merchant_id=merchant_id, member_id=member.id, now=now, ttl=ttl
            )
            await uow.commit()
    if failure is not None:
        raise failure
    return SignedIn(
        access_token=token,
        expires_in=settings.customer_token_ttl_seconds,
        member_id=member.id,
        referral=referral,
    )


async def authenticate_customer_token(*, uow: UnitOfWork, token: str) -> Principal:
    """The customer behind a token: signed with its merchant's secret, unexpired, and for a
    member that still exists unmerged (a merged member signs in again); else 401."""
    merchant_id = tokens.claimed_merchant(token)
    async with uow.read_only():
        session = uow.session
        secret = await existing_merchant_secret(session, merchant_id, TOKEN_PURPOSE)
        if secret is None:
            raise InvalidCustomerToken("the customer token is invalid")
        claims = tokens.verify(token, secret, merchant_id=merchant_id)
        status = await session.scalar(
            select(Member.status).where(
                Member.merchant_id == merchant_id, Member.id == claims.member_id
            )
        )
    if status != MemberStatus.ACTIVE.value:
        raise InvalidCustomerToken("the token's member no longer exists as such; sign in again")
    return Principal(
        merchant_id=merchant_id,
        key_id=claims.token_id,
        role=Role.CUSTOMER,
        member_id=claims.member_id,
    )


async def sandbox_messages(
    *, uow: UnitOfWork, settings: Settings, merchant_id: uuid.UUID, phone: str, limit: int
) -> list[SandboxSms]:
    """What the sandbox sender "sent" to ``phone``, newest first (404 with the sandbox off)."""
    if not settings.sandbox:
        raise SandboxOff("the sandbox is off")
    async with uow.read_only():
        rows = await uow.session.scalars(
            select(SandboxSms)
            .where(SandboxSms.merchant_id == merchant_id, SandboxSms.phone == phone)
            .order_by(SandboxSms.created_at.desc(), SandboxSms.id)
            .limit(limit)
        )
        return list(rows)
