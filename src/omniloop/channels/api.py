"""``/api/v1/channel-connections``, ``/api/v1/channel-pushes`` and the public push URL.

``/api/v1/channels/{merchant_id}/{connection_id}/push`` takes no API key: every push is
authenticated by the platform's own signature, checked against the connection's
``public_url`` (the URL as registered with the platform). It answers each platform in its
own words: Meituan ``{"data":"ok"}`` (or ``{"data":"ng","error":{"code":703,...}}`` for a
bad signature), Ele.me ``{"message":"ok"}``, generic ``{"ok": true, ...}`` (or 401
problem+json).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from omniloop.channels import intake, service
from omniloop.channels.domain import (
    Channel,
    PushKind,
    PushStatus,
)
from omniloop.channels.errors import SignatureInvalid
from omniloop.channels.models import ChannelConnection
from omniloop.channels.platforms import MAX_BODY_BYTES, InboundRequest, reply_ok, reply_refused
from omniloop.channels.ports import OrderSink
from omniloop.channels.schemas import (
    ConnectionCreate,
    ConnectionOut,
    ConnectionUpdate,
    PushDismiss,
    PushOut,
)
from omniloop.deps import DbDep, SettingsDep, UowDep, require
from omniloop.errors import PayloadTooLarge
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(tags=["channels"])

Manager = Annotated[Principal, Depends(require(Permission.CHANNELS_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]


def get_order_sink(db: DbDep, settings: SettingsDep) -> OrderSink:
    """Where pushed orders go: the orders domain (tests may override this dependency)."""
    from omniloop.channels.orders_sink import OrdersSink

    return OrdersSink(db, payment_timeout_seconds=settings.order_payment_timeout_seconds)


SinkDep = Annotated[OrderSink, Depends(get_order_sink)]


def _secret_hint(secret: str) -> str:
    return "…" + secret[-4:] if len(secret) >= 12 else "…"


def _out(connection: ChannelConnection, base_url: str) -> ConnectionOut:
    return ConnectionOut(
        id=connection.id,
        channel=Channel(connection.channel),
        name=connection.name,
        order_channel=connection.order_channel,
        app_id=connection.app_id,
        public_url=connection.public_url,
        webhook_url=service.webhook_url(base_url, connection),
        api_base_url=connection.api_base_url,
        store_map=dict(connection.store_map or {}),
        sku_map=dict(connection.sku_map or {}),
        active=connection.active,
        secret_hint=_secret_hint(connection.secret),
        has_access_token=bool(connection.access_token),
        created_at=connection.created_at,
        updated_at=connection.updated_at,
    )


@router.post("/channel-connections", status_code=201, response_model=ConnectionOut)
async def create_connection(
    body: ConnectionCreate, principal: Manager, uow: UowDep, settings: SettingsDep
) -> ConnectionOut:
    """Connect a platform account; register the returned ``webhook_url`` with the platform."""
    connection = await service.create_connection(
        uow=uow,
        merchant_id=principal.merchant_id,
        base_url=settings.base_url,
        **body.model_dump(),
    )
    return _out(connection, settings.base_url)


@router.get("/channel-connections", response_model=Page[ConnectionOut])
async def list_connections(
    principal: Manager,
    uow: UowDep,
    settings: SettingsDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ConnectionOut]:
    """The merchant's connections, oldest first (never their secrets)."""
    rows, next_cursor = await service.list_connections(
        uow=uow, merchant_id=principal.merchant_id, limit=limit, cursor=cursor
    )
    items = [_out(row, settings.base_url) for row in rows]
    return Page[ConnectionOut](items=items, next_cursor=next_cursor)


@router.get("/channel-connections/{connection_id}", response_model=ConnectionOut)
async def get_connection(
    connection_id: uuid.UUID, principal: Manager, uow: UowDep, settings: SettingsDep
) -> ConnectionOut:
    """One connection (never its secret)."""
    connection = await service.get_connection(
        uow=uow, merchant_id=principal.merchant_id, connection_id=connection_id
    )
    return _out(connection, settings.base_url)


@router.patch("/channel-connections/{connection_id}", response_model=ConnectionOut)
async def update_connection(
    connection_id: uuid.UUID,
    body: ConnectionUpdate,
    principal: Manager,
    uow: UowDep,
    settings: SettingsDep,
) -> ConnectionOut:
    """Rotate the secret, fix the maps (then retry held pushes), pause or resume."""
    connection = await service.update_connection(
        uow=uow,
        merchant_id=principal.merchant_id,
        connection_id=connection_id,
        changes=body.changes(),
    )
    return _out(connection, settings.base_url)


@router.get("/channel-pushes", response_model=Page[PushOut])
async def list_pushes(
    principal: Manager,
    uow: UowDep,
    status: PushStatus | None = None,
    connection: Annotated[uuid.UUID | None, Query(description="A connection id.")] = None,
    kind: PushKind | None = None,
    external_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[PushOut]:
    """Pushes newest first; ``status=held`` is the review queue."""
    rows, next_cursor = await service.list_pushes(
        uow=uow,
        merchant_id=principal.merchant_id,
        status=status,
        connection_id=connection,
        kind=kind,
        external_id=external_id,
        limit=limit,
        cursor=cursor,
    )
    items = [PushOut.model_validate(row, from_attributes=True) for row in rows]
    return Page[PushOut](items=items, next_cursor=next_cursor)


@router.get("/channel-pushes/{push_id}", response_model=PushOut)
async def get_push(push_id: uuid.UUID, principal: Manager, uow: UowDep) -> PushOut:
    """One push with its decoded payload."""
    push = await service.get_push(uow=uow, merchant_id=principal.merchant_id, push_id=push_id)
    return PushOut.model_validate(push, from_attributes=True)


@router.post("/channel-pushes/{push_id}/retry", response_model=PushOut)
async def retry_push(push_id: uuid.UUID, principal: Manager, db: DbDep, sink: SinkDep) -> PushOut:
    """Run a held or failed push again, with the connection's current maps."""
    push = await intake.retry_push(
        db=db, merchant_id=principal.merchant_id, push_id=push_id, sink=sink
    )
    return PushOut.model_validate(push, from_attributes=True)


@router.post("/channel-pushes/{push_id}/dismiss", response_model=PushOut)
async def dismiss_push(
    push_id: uuid.UUID, body: PushDismiss, principal: Manager, uow: UowDep
) -> PushOut:
    """Close a held or failed push without processing it."""
    push = await service.dismiss_push(
        uow=uow, merchant_id=principal.merchant_id, push_id=push_id, reason=body.reason
    )
    return PushOut.model_validate(push, from_attributes=True)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"a push body is at most {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"a push body is at most {MAX_BODY_BYTES} bytes")
    return bytes(body)


async def _push(
    merchant_id: uuid.UUID, connection_id: uuid.UUID, request: Request, db: DbDep, sink: SinkDep
) -> JSONResponse:
    inbound = InboundRequest(
        method=request.method,
        query=request.url.query,
        body=await _read_body(request),
        headers={name.lower(): value for name, value in request.headers.items()},
    )
    receipt = await intake.receive_push(
        db=db,
        merchant_id=merchant_id,
        connection_id=connection_id,
        request=inbound,
        sink=sink,
    )
    if receipt.refused is not None:
        if receipt.channel is Channel.GENERIC:
            raise SignatureInvalid(receipt.refused)
        status_code, body = reply_refused(receipt.channel)
        return JSONResponse(body, status_code=status_code)
    push = receipt.push
    details: dict[str, Any] = {"heartbeat": True}
    if push is not None:
        details = {
            "push_id": str(push.id),
            "status": push.status,
            "order_id": str(push.order_id) if push.order_id else None,
        }
    return JSONResponse(reply_ok(receipt.channel, **details))


_PUSH_PATH = "/channels/{merchant_id}/{connection_id}/push"
_PUSH_DOC = (
    "Public: platforms push here (no API key; the platform's signature is checked against "
    "the connection's public_url). Every kind of push goes to this one URL."
)


@router.post(_PUSH_PATH, summary="Receive a platform push", description=_PUSH_DOC)
async def receive_push(
    merchant_id: uuid.UUID, connection_id: uuid.UUID, request: Request, db: DbDep, sink: SinkDep
) -> JSONResponse:
    return await _push(merchant_id, connection_id, request, db, sink)


@router.get(_PUSH_PATH, summary="Receive a platform push (GET form)", description=_PUSH_DOC)
async def receive_push_by_get(
    merchant_id: uuid.UUID, connection_id: uuid.UUID, request: Request, db: DbDep, sink: SinkDep
) -> JSONResponse:
    return await _push(merchant_id, connection_id, request, db, sink)
