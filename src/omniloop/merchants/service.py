"""Use cases for merchants and their keys."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.events import record_event
from omniloop.merchants.domain import KEY_PREFIX, Principal, Role
from omniloop.merchants.errors import ApiKeyNotFound, InvalidApiKey
from omniloop.merchants.models import ApiKey, ApiKeyLookup, Merchant
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id, new_secret, sha256_hex


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


def _hint(secret: str) -> str:
    return secret[:8] + "…" + secret[-4:]


def _new_key_secret() -> str:
    return KEY_PREFIX + new_secret(32)


def _add_key(
    uow: UnitOfWork,
    *,
    merchant_id: uuid.UUID,
    role: Role,
    locations: list[str],
    label: str | None,
    secret: str,
) -> ApiKey:
    digest = sha256_hex(secret)
    key = ApiKey(
        id=new_id(),
        merchant_id=merchant_id,
        role=role.value,
        locations=sorted(set(locations)),
        label=label,
        key_hash=digest,
        hint=_hint(secret),
    )
    uow.session.add(key)
    uow.session.add(ApiKeyLookup(key_hash=digest, merchant_id=merchant_id, api_key_id=key.id))
    return key


async def create_merchant(
    *, uow: UnitOfWork, name: str, currency: str = "CNY", owner_key: str | None = None
) -> tuple[Merchant, str]:
    """Create a merchant with an owner key; returns the merchant and the key's secret."""
    name = name.strip()
    if not name:
        raise ValidationFailed("merchant name must not be empty", field="name")
    secret = owner_key or _new_key_secret()
    async with uow:
        if owner_key is not None:
            taken = await uow.session.get(ApiKeyLookup, sha256_hex(owner_key))
            if taken is not None:
                raise ValidationFailed("that owner key is already in use", field="owner_key")
        merchant = Merchant(merchant_id=new_id(), name=name, currency=currency.upper())
        uow.session.add(merchant)
        await uow.session.flush()
        _add_key(
            uow,
            merchant_id=merchant.merchant_id,
            role=Role.OWNER,
            locations=[],
            label="owner",
            secret=secret,
        )
        record_event(
            uow.session,
            merchant_id=merchant.merchant_id,
            type="merchant.created",
            data={"merchant_id": str(merchant.merchant_id), "name": name},
        )
        await uow.commit()
    return merchant, secret


async def issue_key(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    role: Role,
    locations: list[str],
    label: str | None,
    known_locations: set[str] | None = None,
    secret: str | None = None,
) -> IssuedKey:
    """Issue a new key; the secret is returned once and only its hash is kept."""
    if role is Role.STORE_STAFF and not locations:
        raise ValidationFailed("store_staff keys need at least one location", field="locations")
    if role is not Role.STORE_STAFF and locations:
        raise ValidationFailed("only store_staff keys are bound to locations", field="locations")
    if known_locations is not None:
        unknown = sorted(set(locations) - known_locations)
        if unknown:
            raise ValidationFailed(
                f"unknown location codes: {', '.join(unknown)}", field="locations"
            )
    secret = secret or _new_key_secret()
    async with uow:
        if await uow.session.get(ApiKeyLookup, sha256_hex(secret)) is not None:
            raise ValidationFailed("that key is already in use", field="key")
        key = _add_key(
            uow, merchant_id=merchant_id, role=role, locations=locations, label=label, secret=secret
        )
        record_event(
            uow.session,
            merchant_id=merchant_id,
            type="api_key.created",
            data={"id": str(key.id), "role": role.value, "locations": key.locations},
        )
        await uow.commit()
    return IssuedKey(key=key, secret=secret)


async def list_keys(*, uow: UnitOfWork, merchant_id: uuid.UUID) -> list[ApiKey]:
    """Every key of the merchant, newest first, without secrets."""
    async with uow.read_only():
        rows = await uow.session.scalars(
            select(ApiKey)
            .where(ApiKey.merchant_id == merchant_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id)
        )
        return list(rows)


async def revoke_key(*, uow: UnitOfWork, merchant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key; it stops working at once."""
    async with uow:
        key = await uow.session.get(ApiKey, (merchant_id, key_id))
        if key is None:
            raise ApiKeyNotFound(f"no API key {key_id}")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            lookup = await uow.session.get(ApiKeyLookup, key.key_hash)
            if lookup is not None:
                await uow.session.delete(lookup)
            record_event(
                uow.session,
                merchant_id=merchant_id,
                type="api_key.revoked",
                data={"id": str(key.id)},
            )
        await uow.commit()
    return key


async def authenticate(*, uow: UnitOfWork, token: str) -> Principal:
    """Resolve a bearer token to its principal, or refuse it (one query)."""
    digest = sha256_hex(token)
    query = (
        select(ApiKey.merchant_id, ApiKey.id, ApiKey.role, ApiKey.locations, ApiKey.key_hash)
        .join(
            ApiKeyLookup,
            (ApiKeyLookup.merchant_id == ApiKey.merchant_id)
            & (ApiKeyLookup.api_key_id == ApiKey.id),
        )
        .where(ApiKeyLookup.key_hash == digest, ApiKey.revoked_at.is_(None))
    )
    async with uow.read_only():
        row = (await uow.session.execute(query)).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise InvalidApiKey("the API key is unknown or revoked")
    return Principal(
        merchant_id=row.merchant_id,
        key_id=row.id,
        role=Role(row.role),
        locations=frozenset(row.locations or ()),
    )


async def find_merchant_by_name(*, uow: UnitOfWork, name: str) -> Merchant | None:
    """The oldest merchant with exactly this name (used by the demo seeder)."""
    async with uow.read_only():
        return await uow.session.scalar(
            select(Merchant).where(Merchant.name == name).order_by(Merchant.created_at).limit(1)
        )


async def key_is_active(*, uow: UnitOfWork, merchant_id: uuid.UUID, secret: str) -> bool:
    """True when ``secret`` is a live key of this merchant."""
    async with uow.read_only():
        lookup = await uow.session.get(ApiKeyLookup, sha256_hex(secret))
        return lookup is not None and lookup.merchant_id == merchant_id


async def get_merchant(*, uow: UnitOfWork, merchant_id: uuid.UUID) -> Merchant | None:
    async with uow.read_only():
        return await uow.session.get(Merchant, merchant_id)
