"""Flow 2, offline to online: a store's join QR code signs customers up as its members.

The QR code holds a URL with a join token naming the merchant and the store, signed with the
merchant's ``join_qr`` secret (HMAC-SHA256)::

    1.<merchant id, hex>.<location code, base64url>.<signature, base64url>

The leading version lets the format change without breaking printed codes. Tokens do not
expire (a code is printed on a table tent), but no one can make one for a store, or for
another merchant, without the secret. The merchant id travels in clear so that a public
page can find which merchant's secret verifies it (:func:`parse_join_token`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.events import record_event
from omniloop.members.domain import ActivityKind
from omniloop.members.errors import InvalidJoinToken
from omniloop.members.identity import member_for_phone_in, record_activity_in
from omniloop.members.models import Member, MemberActivity
from omniloop.merchants.secrets import existing_merchant_secret, merchant_secret
from omniloop.shared.qr import qr_svg as shared_qr_svg

JOIN_SECRET_PURPOSE = "join_qr"
TOKEN_VERSION = "1"
_SIGNATURE_BYTES = 16  # 128 bits: unguessable, and the QR code stays coarse enough to scan


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return _b64(digest[:_SIGNATURE_BYTES])


def _payload(merchant_id: uuid.UUID, location: str) -> str:
    return f"{TOKEN_VERSION}.{merchant_id.hex}.{_b64(location.encode())}"


async def make_join_token(session: AsyncSession, merchant_id: uuid.UUID, location: str) -> str:
    """The signed join token for one of the merchant's stores."""
    secret = await merchant_secret(session, merchant_id, JOIN_SECRET_PURPOSE)
    payload = _payload(merchant_id, location)
    return f"{payload}.{_signature(secret, payload)}"


def parse_join_token(token: str) -> tuple[uuid.UUID, str]:
    """The (merchant id, location code) a token names, NOT verified (use
    :func:`verify_join_token` before trusting it); InvalidJoinToken when malformed."""
    parts = token.strip().split(".")
    if len(parts) != 4 or parts[0] != TOKEN_VERSION:
        raise InvalidJoinToken()
    try:
        merchant_id = uuid.UUID(hex=parts[1])
        location = _unb64(parts[2]).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidJoinToken() from None
    if not location or len(location) > 64 or len(parts[1]) != 32:
        raise InvalidJoinToken()
    return merchant_id, location


def _signed_with(secret: bytes, token: str) -> bool:
    payload, _, signature = token.strip().rpartition(".")
    return hmac.compare_digest(signature.encode(), _signature(secret, payload).encode())


async def verify_join_token(session: AsyncSession, merchant_id: uuid.UUID, token: str) -> str:
    """The location code of a join token the merchant issued; InvalidJoinToken (422
    invalid_join_token) for a forged, altered or another merchant's token."""
    named_merchant, location = parse_join_token(token)
    if named_merchant != merchant_id:
        raise InvalidJoinToken()
    if not _signed_with(await merchant_secret(session, merchant_id, JOIN_SECRET_PURPOSE), token):
        raise InvalidJoinToken()
    return location


async def issued_join_token_in(session: AsyncSession, token: str) -> tuple[uuid.UUID, str] | None:
    """(merchant id, location code) of a genuine join token, else None; for callers that
    know no merchant yet (the public join page). Reads only: a merchant that never issued
    a join code has no secret yet, and none is made for it here."""
    try:
        merchant_id, location = parse_join_token(token)
    except InvalidJoinToken:
        return None
    secret = await existing_merchant_secret(session, merchant_id, JOIN_SECRET_PURPOSE)
    if secret is None or not _signed_with(secret, token):
        return None
    return merchant_id, location


def join_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/join?t={token}"


def qr_svg(payload: str) -> str:
    """The join QR code of ``payload`` as an inline ``<svg>`` element."""
    return shared_qr_svg(payload, title="Join")


async def apply_join_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    member: Member,
    created: bool,
    location: str,
    channel: str | None,
) -> None:
    """A customer joined at ``location`` (a join QR code, or staff signing them up there).
    A new member already records that store as its acquisition (``member_for_phone_in``);
    an existing one keeps its acquisition and gains a ``joined`` visit there, once per store,
    so the store appears in its history."""
    if created:
        return
    records = select(Member.id).where(
        Member.merchant_id == merchant_id, Member.merged_into == member.id
    )
    already = await session.scalar(
        select(MemberActivity.id)
        .where(
            MemberActivity.merchant_id == merchant_id,
            MemberActivity.kind == ActivityKind.JOINED.value,
            MemberActivity.location_code == location,
            (MemberActivity.member_id == member.id) | MemberActivity.member_id.in_(records),
        )
        .limit(1)
    )
    if already is not None:
        return
    record_activity_in(
        session,
        merchant_id=merchant_id,
        member_id=member.id,
        kind=ActivityKind.JOINED,
        channel=channel,
        location=location,
    )
    record_event(
        session,
        merchant_id=merchant_id,
        type="member.joined",
        data={"member_id": str(member.id), "location": location, "channel": channel},
    )


async def join_member_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    phone: str,
    name: str | None,
    channel: str,
    location: str | None,
) -> tuple[Member, bool]:
    """The member for ``phone`` (E.164), created when new, joining at ``location`` when one
    is named (see :func:`apply_join_in`); returns (member, created). Never commits."""
    member, created = await member_for_phone_in(
        session, merchant_id=merchant_id, phone=phone, name=name, channel=channel, location=location
    )
    if location is not None:
        await apply_join_in(
            session,
            merchant_id=merchant_id,
            member=member,
            created=created,
            location=location,
            channel=channel,
        )
    return member, created
