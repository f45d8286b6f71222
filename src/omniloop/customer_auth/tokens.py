"""Customer tokens: JWTs (HS256) signed with the merchant's ``customer_token`` secret.

Claims: ``iss`` omniloop, ``sub`` the member id, ``mid`` the merchant id, ``role``
customer, ``iat``, ``exp`` and a random ``jti``. The merchant named in ``mid`` is read
before the signature is checked (it says whose secret to check it with); nothing else is
trusted until :func:`verify` succeeds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from omniloop.customer_auth.domain import CUSTOMER_ROLE, TOKEN_ALGORITHM, TOKEN_ISSUER
from omniloop.customer_auth.errors import InvalidCustomerToken
from omniloop.shared.ids import new_id

_REQUIRED = ["iss", "sub", "mid", "role", "iat", "exp", "jti"]


@dataclass(frozen=True)
class CustomerClaims:
    merchant_id: uuid.UUID
    member_id: uuid.UUID
    token_id: uuid.UUID
    expires_at: datetime


def issue(
    secret: bytes, *, merchant_id: uuid.UUID, member_id: uuid.UUID, now: datetime, ttl: timedelta
) -> tuple[str, CustomerClaims]:
    """A signed token for ``member_id`` valid for ``ttl`` from ``now``."""
    claims = CustomerClaims(
        merchant_id=merchant_id, member_id=member_id, token_id=new_id(), expires_at=now + ttl
    )
    payload = {
        "iss": TOKEN_ISSUER,
        "sub": str(member_id),
        "mid": str(merchant_id),
        "role": CUSTOMER_ROLE,
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "jti": str(claims.token_id),
    }
    return jwt.encode(payload, secret, algorithm=TOKEN_ALGORITHM), claims


def _uuid(value: Any, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidCustomerToken(f"the token's {name} is not an id") from None


def claimed_merchant(token: str) -> uuid.UUID:
    """The merchant a token claims to be from (unverified: only picks the secret)."""
    try:
        header = jwt.get_unverified_header(token)
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidCustomerToken("the token is malformed") from None
    if header.get("alg") != TOKEN_ALGORITHM:
        raise InvalidCustomerToken("the token is not signed the way Omniloop signs")
    return _uuid(payload.get("mid"), "merchant")


def verify(token: str, secret: bytes, *, merchant_id: uuid.UUID) -> CustomerClaims:
    """The claims of a token signed with ``secret`` for ``merchant_id``, or 401."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            issuer=TOKEN_ISSUER,
            options={"require": _REQUIRED},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidCustomerToken("the customer token has expired; sign in again") from None
    except jwt.PyJWTError:
        raise InvalidCustomerToken("the customer token is invalid") from None
    if payload["role"] != CUSTOMER_ROLE or _uuid(payload["mid"], "merchant") != merchant_id:
        raise InvalidCustomerToken("the customer token is invalid")
    return CustomerClaims(
        merchant_id=merchant_id,
        member_id=_uuid(payload["sub"], "member"),
        token_id=_uuid(payload["jti"], "id"),
        expires_at=datetime.fromtimestamp(int(payload["exp"]), tz=UTC),
    )
