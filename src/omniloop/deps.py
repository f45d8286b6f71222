"""FastAPI dependencies shared by every router: the unit of work and the caller."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from omniloop.config import Settings
from omniloop.customer_auth.domain import looks_like_jwt
from omniloop.customer_auth.service import authenticate_customer_token
from omniloop.db import Database, UnitOfWork
from omniloop.errors import Forbidden, Unauthorized, ValidationFailed
from omniloop.merchants import service as merchants
from omniloop.merchants.domain import Permission, Principal, looks_like_key

_bearer = HTTPBearer(auto_error=False, description="An Omniloop API key")


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_uow(db: Annotated[Database, Depends(get_db)]) -> UnitOfWork:
    return db.uow()


DbDep = Annotated[Database, Depends(get_db)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def current_principal(
    request: Request,
    db: DbDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller behind ``Authorization: Bearer <key>`` (an API key, or a customer's
    token: a JWT), or 401."""
    if credentials is None:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    token = credentials.credentials.strip()
    if looks_like_jwt(token):
        principal = await authenticate_customer_token(uow=db.uow(), token=token)
    elif looks_like_key(token):
        principal = await merchants.authenticate(uow=db.uow(), token=token)
    else:
        raise Unauthorized("the API key is malformed")
    request.state.principal = principal
    return principal


CurrentKey = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting only callers whose role grants ``permission`` (else 403)."""

    async def dependency(principal: CurrentKey) -> Principal:
        if not principal.can(permission):
            raise Forbidden(
                f"role {principal.role.value!r} may not do this (needs {permission.value})"
            )
        return principal

    return dependency


def ensure_member_access(principal: Principal, member_id: uuid.UUID) -> None:
    """A customer's token reaches only its own member (403 for any other)."""
    if not principal.may_act_for_member(member_id):
        raise Forbidden("a customer token acts only for its own member")


def require_self_or(permission: Permission) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Admit customers (who must then be checked with :func:`ensure_member_access`) and
    staff whose role grants ``permission``."""

    async def dependency(principal: CurrentKey) -> Principal:
        if principal.is_customer or principal.can(permission):
            return principal
        raise Forbidden(f"role {principal.role.value!r} may not do this (needs {permission.value})")

    return dependency


def ensure_location_access(principal: Principal, location_code: str) -> None:
    """Store staff act only for their own locations (403 elsewhere)."""
    if not principal.may_act_at(location_code):
        raise Forbidden(f"this key does not act for location {location_code!r}")


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Repeat a write safely: same key and body return the first response.",
    ),
]


def checked_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not 1 <= len(value) <= 200 or not value.isprintable():
        raise ValidationFailed(
            "Idempotency-Key must be 1-200 printable characters", field="Idempotency-Key"
        )
    return value
