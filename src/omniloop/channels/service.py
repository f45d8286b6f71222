"""Channel use cases: manage connections, read and work the push review queue.

Receiving pushes lives in :mod:`omniloop.channels.intake`; calls back to the platforms in
:mod:`omniloop.channels.clients`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, or_, select

from omniloop.channels.domain import REVIEWABLE, Channel, PushKind, PushStatus
from omniloop.channels.errors import (
    ConnectionNameTaken,
    ConnectionNotFound,
    PushNotFound,
    PushNotReviewable,
)
from omniloop.channels.models import ChannelConnection, ChannelPush
from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import ValidationFailed
from omniloop.events import record_event
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id
from omniloop.shared.pagination import (
    decode_time_key,
    encode_time_key,
)

_EDITABLE = frozenset(
    {
        "name",
        "secret",
        "app_id",
        "public_url",
        "api_base_url",
        "access_token",
        "order_channel",
        "store_map",
        "sku_map",
        "active",
    }
)


def push_path(merchant_id: uuid.UUID, connection_id: uuid.UUID) -> str:
    return f"/api/v1/channels/{merchant_id}/{connection_id}/push"


def webhook_url(base_url: str, connection: ChannelConnection) -> str:
    """The one URL the platform pushes every kind of message to."""
    return base_url.rstrip("/") + push_path(connection.merchant_id, connection.id)


def public_view(connection: ChannelConnection) -> dict[str, Any]:
    """What events say about a connection: never its secret, token or maps."""
    return {
        "id": str(connection.id),
        "channel": connection.channel,
        "name": connection.name,
        "order_channel": connection.order_channel,
        "active": connection.active,
    }


def push_view(push: ChannelPush) -> dict[str, Any]:
    """What events say about a push (not its payload: it holds customers' details)."""
    return {
        "id": str(push.id),
        "connection_id": str(push.connection_id),
        "channel": push.channel,
        "kind": push.kind,
        "external_id": push.external_id,
        "status": push.status,
        "reason": push.reason,
        "order_id": str(push.order_id) if push.order_id else None,
    }


async def load_connection(
    uow: UnitOfWork, merchant_id: uuid.UUID, connection_id: uuid.UUID
) -> ChannelConnection:
    connection = await uow.session.get(ChannelConnection, (merchant_id, connection_id))
    if connection is None:
        raise ConnectionNotFound(f"no channel connection {connection_id}")
    return connection


async def load_push(uow: UnitOfWork, merchant_id: uuid.UUID, push_id: uuid.UUID) -> ChannelPush:
    push = await uow.session.get(ChannelPush, (merchant_id, push_id))
    if push is None:
        raise PushNotFound(f"no channel push {push_id}")
    return push


async def create_connection(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    base_url: str,
    channel: Channel,
    name: str,
    secret: str,
    public_url: str | None = None,
    app_id: str | None = None,
    api_base_url: str | None = None,
    access_token: str | None = None,
    order_channel: str | None = None,
    store_map: dict[str, str] | None = None,
    sku_map: dict[str, str] | None = None,
    active: bool = True,
) -> ChannelConnection:
    """Connect a platform account; its public_url defaults to the webhook URL it gets."""
    now = utcnow()
    connection = ChannelConnection(
        id=new_id(),
        merchant_id=merchant_id,
        channel=channel.value,
        name=name,
        order_channel=order_channel or channel.value,
        secret=secret,
        app_id=app_id,
        api_base_url=api_base_url,
        access_token=access_token,
        store_map=dict(store_map or {}),
        sku_map=dict(sku_map or {}),
        active=active,
        created_at=now,
        updated_at=now,
    )
    connection.public_url = public_url or webhook_url(base_url, connection)
    async with uow:
        await _refuse_taken_name(uow, merchant_id, name, None)
        uow.session.add(connection)
        record_event(
            uow.session,
            merchant_id=merchant_id,
            type="channel_connection.created",
            data=public_view(connection),
        )
        await _commit(uow, name)
    return connection


async def _refuse_taken_name(
    uow: UnitOfWork, merchant_id: uuid.UUID, name: str, own_id: uuid.UUID | None
) -> None:
    taken = await uow.session.scalar(
        select(ChannelConnection.id).where(
            ChannelConnection.merchant_id == merchant_id, ChannelConnection.name == name
        )
    )
    if taken is not None and taken != own_id:
        raise ConnectionNameTaken(f"a channel connection is already named {name!r}")


async def _commit(uow: UnitOfWork, name: str) -> None:
    try:
        await uow.commit()
    except Exception as exc:
        if is_unique_violation(exc):
            raise ConnectionNameTaken(f"a channel connection is already named {name!r}") from None
        raise


async def list_connections(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, limit: int, cursor: str | None = None
) -> tuple[list[ChannelConnection], str | None]:
    """The merchant's connections, oldest first, one page at a time."""
    after = _decode_page_key(cursor)
    query = select(ChannelConnection).where(ChannelConnection.merchant_id == merchant_id)
    if after is not None:
        query = query.where(
            or_(
                ChannelConnection.created_at > after[0],
                and_(ChannelConnection.created_at == after[0], ChannelConnection.id > after[1]),
            )
        )
    query = query.order_by(ChannelConnection.created_at, ChannelConnection.id).limit(limit + 1)
    async with uow.read_only():
        rows = list(await uow.session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, _page_key(rows[-1].created_at, rows[-1].id)


async def get_connection(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, connection_id: uuid.UUID
) -> ChannelConnection:
    """One connection of the merchant, or 404."""
    async with uow.read_only():
        return await load_connection(uow, merchant_id, connection_id)


async def update_connection(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    connection_id: uuid.UUID,
    changes: dict[str, Any],
) -> ChannelConnection:
    """Change a connection (rotate its secret, fix its maps, pause or resume it)."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}")
    async with uow:
        connection = await load_connection(uow, merchant_id, connection_id)
        if "name" in changes:
            await _refuse_taken_name(uow, merchant_id, changes["name"], connection.id)
        changed = sorted(n for n, value in changes.items() if getattr(connection, n) != value)
        if changed:
            for name in changed:
                setattr(connection, name, changes[name])
            connection.updated_at = utcnow()
            record_event(
                uow.session,
                merchant_id=merchant_id,
                type="channel_connection.updated",
                data={**public_view(connection), "changed": changed},
            )
        await _commit(uow, connection.name)
    return connection


async def configured_channels(*, uow: UnitOfWork, merchant_id: uuid.UUID) -> set[str]:
    """The order channels of the merchant's active connections (``meituan``, ...)."""
    async with uow.read_only():
        rows = await uow.session.scalars(
            select(ChannelConnection.order_channel)
            .where(ChannelConnection.merchant_id == merchant_id, ChannelConnection.active)
            .distinct()
        )
        return set(rows)


async def list_pushes(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    status: PushStatus | None = None,
    connection_id: uuid.UUID | None = None,
    kind: PushKind | None = None,
    external_id: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[ChannelPush], str | None]:
    """Pushes newest first: the review queue is ``status=held`` (and ``failed``)."""
    before = _decode_page_key(cursor)
    query = select(ChannelPush).where(ChannelPush.merchant_id == merchant_id)
    if connection_id is not None:
        query = query.where(ChannelPush.connection_id == connection_id)
    if status is not None:
        query = query.where(ChannelPush.status == status.value)
    if kind is not None:
        query = query.where(ChannelPush.kind == kind.value)
    if external_id is not None:
        query = query.where(ChannelPush.external_id == external_id)
    if before is not None:
        query = query.where(
            or_(
                ChannelPush.created_at < before[0],
                and_(ChannelPush.created_at == before[0], ChannelPush.id < before[1]),
            )
        )
    query = query.order_by(ChannelPush.created_at.desc(), ChannelPush.id.desc()).limit(limit + 1)
    async with uow.read_only():
        if connection_id is not None:
            await load_connection(uow, merchant_id, connection_id)
        rows = list(await uow.session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, _page_key(rows[-1].created_at, rows[-1].id)


async def get_push(*, uow: UnitOfWork, merchant_id: uuid.UUID, push_id: uuid.UUID) -> ChannelPush:
    """One push of the merchant, or 404."""
    async with uow.read_only():
        return await load_push(uow, merchant_id, push_id)


async def dismiss_push(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, push_id: uuid.UUID, reason: str
) -> ChannelPush:
    """Close a held or failed push without processing it (a person decided)."""
    async with uow:
        push = await load_push(uow, merchant_id, push_id)
        if push.status not in REVIEWABLE:
            raise PushNotReviewable(f"the push is {push.status}; only held or failed pushes close")
        now = utcnow()
        push.status, push.reason = PushStatus.DISMISSED.value, reason
        push.resolved_at = push.updated_at = now
        record_event(
            uow.session,
            merchant_id=merchant_id,
            type="channel_push.dismissed",
            data=push_view(push),
        )
        await uow.commit()
    return push


_page_key = encode_time_key


_decode_page_key = decode_time_key
