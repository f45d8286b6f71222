"""Receiving platform pushes: verify, parse, map, hand to the orders domain, record.

The orders domain acts first (through the :class:`~.ports.OrderSink`, idempotent, in its
own transaction) and the push is recorded after, so a crash in between costs nothing: the
platform, not having had its "ok", pushes again and the sink answers "duplicate".

Follow-ups (cancel, refund, delivery status) that arrive before their order, or while it
is held, are held too and replayed as soon as the order is placed; a platform cancel of an
order that is still held closes (dismisses) the held order instead.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from omniloop.catalog.service import get_skus
from omniloop.channels import platforms
from omniloop.channels.domain import (
    FOLLOW_UPS,
    REVIEWABLE,
    Cancellation,
    Channel,
    DeliveryUpdate,
    MappedOrder,
    NewOrder,
    ParsedOrder,
    ParsedPush,
    PushInvalid,
    PushKind,
    PushStatus,
    RefundNotice,
    StatusReport,
    Unrecognised,
)
from omniloop.channels.errors import ConnectionInactive, PushNotReviewable
from omniloop.channels.mapping import Unmapped, codes_to_look_up, map_order
from omniloop.channels.models import ChannelConnection, ChannelPush
from omniloop.channels.ports import OrderSink, SinkResult
from omniloop.channels.service import load_connection, load_push, push_view
from omniloop.db import Database, UnitOfWork
from omniloop.errors import NotFound, OmniloopError
from omniloop.events import record_event
from omniloop.locations.service import existing_codes
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

log = logging.getLogger("omniloop.channels")

REFUSAL_LOG_INTERVAL = timedelta(minutes=1)
"""Refused pushes are logged at most this often per connection: anyone can send them."""


@dataclass(frozen=True)
class Outcome:
    """What became of one push."""

    kind: PushKind
    external_id: str | None
    status: PushStatus
    reason: str | None = None
    order_id: uuid.UUID | None = None
    dismisses_held_order: bool = False


@dataclass(frozen=True)
class Receipt:
    """What to answer the platform: the channel, and the push recorded (None for a
    heartbeat or a refusal)."""

    channel: Channel
    push: ChannelPush | None = None
    refused: str | None = None


def _credentials(connection: ChannelConnection) -> platforms.Credentials:
    return platforms.Credentials(
        secret=connection.secret, public_url=connection.public_url, app_id=connection.app_id
    )


async def receive_push(
    *,
    db: Database,
    merchant_id: uuid.UUID,
    connection_id: uuid.UUID,
    request: platforms.InboundRequest,
    sink: OrderSink,
) -> Receipt:
    """Take one push from a platform; a bad signature changes nothing."""
    async with db.uow().read_only() as uow:
        connection = await load_connection(uow, merchant_id, connection_id)
    channel = Channel(connection.channel)
    now = utcnow()
    verdict = platforms.authenticate(
        channel, request, _credentials(connection), now=now.timestamp()
    )
    if isinstance(verdict, platforms.Heartbeat):
        return Receipt(channel)
    if isinstance(verdict, platforms.Refused):
        await _log_refusal(db, connection, verdict.reason, now)
        return Receipt(channel, refused=verdict.reason)
    payload = _without_nul(verdict.payload)
    if connection.active:
        outcome = await _process(db, connection, payload, sink)
    else:
        outcome = _paused(channel, payload)
    async with db.uow() as uow:
        push = ChannelPush(
            id=new_id(),
            merchant_id=merchant_id,
            connection_id=connection.id,
            channel=connection.channel,
            kind=outcome.kind.value,
            external_id=outcome.external_id,
            status=outcome.status.value,
            reason=_clip(outcome.reason),
            payload=payload,
            order_id=outcome.order_id,
            attempts=1,
            created_at=now,
            updated_at=now,
            resolved_at=None if outcome.status in REVIEWABLE else now,
        )
        uow.session.add(push)
        await _after(uow, push, outcome, previous=None)
        await uow.commit()
    await _replay_follow_ups(db, connection, outcome, sink)
    return Receipt(channel, push)


async def retry_push(
    *, db: Database, merchant_id: uuid.UUID, push_id: uuid.UUID, sink: OrderSink
) -> ChannelPush:
    """Run a held or failed push again (after its connection's maps were fixed)."""
    async with db.uow().read_only() as uow:
        push = await load_push(uow, merchant_id, push_id)
        connection = await load_connection(uow, merchant_id, push.connection_id)
    if push.status not in REVIEWABLE or push.payload is None:
        raise PushNotReviewable(f"the push is {push.status}; only held or failed pushes retry")
    if not connection.active:
        raise ConnectionInactive("resume the connection (active: true) before retrying")
    outcome = await _process(db, connection, push.payload, sink)
    push = await _settle(db, push, outcome)
    await _replay_follow_ups(db, connection, outcome, sink)
    return push


async def _settle(db: Database, push: ChannelPush, outcome: Outcome) -> ChannelPush:
    """Record a retry's outcome, unless another retry settled the push meanwhile."""
    async with db.uow() as uow:
        row = await uow.session.get(ChannelPush, (push.merchant_id, push.id), with_for_update=True)
        if row is None or row.status not in REVIEWABLE:
            return row or push
        previous = PushStatus(row.status)
        now = utcnow()
        row.kind, row.external_id = outcome.kind.value, outcome.external_id
        row.status, row.reason = outcome.status.value, _clip(outcome.reason)
        row.order_id = outcome.order_id or row.order_id
        row.attempts += 1
        row.updated_at = now
        row.resolved_at = None if outcome.status in REVIEWABLE else now
        await _after(uow, row, outcome, previous=previous)
        await uow.commit()
    return row


async def _after(
    uow: UnitOfWork, push: ChannelPush, outcome: Outcome, *, previous: PushStatus | None
) -> None:
    """Close the held copies of an order that is now settled, and tell the review queue."""
    placed = outcome.status in (PushStatus.ACCEPTED, PushStatus.DUPLICATE)
    if outcome.dismisses_held_order:
        await _close_held_orders(
            uow,
            push,
            outcome,
            PushStatus.DISMISSED,
            "cancelled on the platform before it was placed",
        )
    elif outcome.kind is PushKind.NEW_ORDER and placed:
        # The platform pushed the order more than once (new, then confirmed) while it was
        # held: the other copies are repeats of the one just placed.
        await _close_held_orders(
            uow, push, outcome, PushStatus.DUPLICATE, f"placed through push {push.id}"
        )
    if outcome.status is not previous and outcome.status in REVIEWABLE:
        record_event(
            uow.session,
            merchant_id=push.merchant_id,
            type=f"channel_push.{outcome.status.value}",
            data=push_view(push),
        )
    elif previous in REVIEWABLE and outcome.status not in REVIEWABLE:
        record_event(
            uow.session,
            merchant_id=push.merchant_id,
            type="channel_push.resolved",
            data=push_view(push),
        )


async def _close_held_orders(
    uow: UnitOfWork, push: ChannelPush, outcome: Outcome, status: PushStatus, reason: str
) -> None:
    """Settle the other held or failed new-order pushes of the same platform order."""
    if outcome.external_id is None:
        return
    await uow.session.flush()
    await uow.session.execute(
        update(ChannelPush)
        .where(
            ChannelPush.merchant_id == push.merchant_id,
            ChannelPush.connection_id == push.connection_id,
            ChannelPush.external_id == outcome.external_id,
            ChannelPush.kind == PushKind.NEW_ORDER.value,
            ChannelPush.status.in_([s.value for s in REVIEWABLE]),
            ChannelPush.id != push.id,
        )
        .values(
            status=status.value,
            reason=reason,
            order_id=outcome.order_id,
            resolved_at=push.updated_at,
            updated_at=push.updated_at,
        )
        .execution_options(synchronize_session=False)
    )


def _paused(channel: Channel, payload: dict[str, object]) -> Outcome:
    try:
        parsed: ParsedPush | None = platforms.parse(channel, payload)
    except PushInvalid:
        parsed = None
    return Outcome(
        kind=platforms.kind_of(channel, payload),
        external_id=getattr(parsed, "external_id", None),
        status=PushStatus.HELD,
        reason="the connection is paused: resume it and retry this push",
    )


async def _process(
    db: Database, connection: ChannelConnection, payload: dict[str, object], sink: OrderSink
) -> Outcome:
    """Parse, map and hand over one verified payload."""
    channel = Channel(connection.channel)
    try:
        parsed = platforms.parse(channel, payload)
    except PushInvalid as exc:
        return Outcome(exc.kind, exc.external_id, PushStatus.HELD, str(exc))
    if isinstance(parsed, Unrecognised):
        return Outcome(parsed.kind, parsed.external_id, PushStatus.IGNORED, parsed.description)
    if isinstance(parsed, StatusReport):
        reason = f"status report {parsed.status!r}: nothing for Omniloop to do"
        return Outcome(parsed.kind, parsed.external_id, PushStatus.IGNORED, reason)
    try:
        if isinstance(parsed, NewOrder):
            mapped = await _map(db, connection, parsed.order)
            if isinstance(mapped, Unmapped):
                return Outcome(parsed.kind, parsed.external_id, PushStatus.HELD, mapped.reason)
            result = await sink.place(
                merchant_id=connection.merchant_id, connection_id=connection.id, order=mapped
            )
        else:
            result = await _follow_up(connection, parsed, sink)
    except NotFound as exc:
        if isinstance(parsed, NewOrder):
            return Outcome(parsed.kind, parsed.external_id, PushStatus.FAILED, _why(exc))
        if isinstance(parsed, Cancellation) and await _held_order_exists(
            db, connection, parsed.external_id
        ):
            reason = "the order was still held for review: it is dismissed"
            return Outcome(parsed.kind, parsed.external_id, PushStatus.ACCEPTED, reason, None, True)
        reason = f"waiting for its order to arrive ({_why(exc)})"
        return Outcome(parsed.kind, parsed.external_id, PushStatus.HELD, reason)
    except OmniloopError as exc:
        if exc.status >= 500:
            raise
        return Outcome(parsed.kind, parsed.external_id, PushStatus.FAILED, _why(exc))
    status = PushStatus.DUPLICATE if result.duplicate else PushStatus.ACCEPTED
    return Outcome(parsed.kind, parsed.external_id, status, None, result.order_id)


async def _follow_up(
    connection: ChannelConnection,
    parsed: Cancellation | RefundNotice | DeliveryUpdate,
    sink: OrderSink,
) -> SinkResult:
    merchant_id, channel = connection.merchant_id, connection.order_channel
    external_id = parsed.external_id
    if isinstance(parsed, Cancellation):
        return await sink.cancel(
            merchant_id=merchant_id, channel=channel, external_id=external_id, reason=parsed.reason
        )
    if isinstance(parsed, RefundNotice):
        return await sink.refund(
            merchant_id=merchant_id,
            channel=channel,
            external_id=external_id,
            reason=parsed.reason,
            notify_type=parsed.stage,
            amount=parsed.amount,
        )
    return await sink.delivery_status(
        merchant_id=merchant_id,
        channel=channel,
        external_id=external_id,
        status=parsed.state,
        courier_name=parsed.courier_name,
        courier_phone=parsed.courier_phone,
    )


async def _map(
    db: Database, connection: ChannelConnection, order: ParsedOrder
) -> MappedOrder | Unmapped:
    store_map, sku_map = dict(connection.store_map or {}), dict(connection.sku_map or {})
    locations, skus = codes_to_look_up(order, store_map=store_map, sku_map=sku_map)
    merchant_id = connection.merchant_id
    known_locations = await existing_codes(uow=db.uow(), merchant_id=merchant_id, codes=locations)
    known_skus = await get_skus(uow=db.uow(), merchant_id=merchant_id, skus=sorted(skus))
    return map_order(
        order,
        order_channel=connection.order_channel,
        store_map=store_map,
        sku_map=sku_map,
        known_locations=known_locations,
        known_skus=set(known_skus),
    )


async def _held_order_exists(db: Database, connection: ChannelConnection, external_id: str) -> bool:
    async with db.uow().read_only() as uow:
        found = await uow.session.scalar(
            select(ChannelPush.id)
            .where(
                ChannelPush.merchant_id == connection.merchant_id,
                ChannelPush.connection_id == connection.id,
                ChannelPush.external_id == external_id,
                ChannelPush.kind == PushKind.NEW_ORDER.value,
                ChannelPush.status.in_([s.value for s in REVIEWABLE]),
            )
            .limit(1)
        )
    return found is not None


async def _replay_follow_ups(
    db: Database, connection: ChannelConnection, outcome: Outcome, sink: OrderSink
) -> None:
    """Once an order is in, the follow-ups that waited for it run, oldest first."""
    placed = (PushStatus.ACCEPTED, PushStatus.DUPLICATE)
    if outcome.kind is not PushKind.NEW_ORDER or outcome.status not in placed:
        return
    async with db.uow().read_only() as uow:
        waiting = list(
            await uow.session.scalars(
                select(ChannelPush)
                .where(
                    ChannelPush.merchant_id == connection.merchant_id,
                    ChannelPush.connection_id == connection.id,
                    ChannelPush.external_id == outcome.external_id,
                    ChannelPush.kind.in_([k.value for k in FOLLOW_UPS]),
                    ChannelPush.status == PushStatus.HELD.value,
                )
                .order_by(ChannelPush.created_at, ChannelPush.id)
            )
        )
    for push in waiting:
        if push.payload is None:
            continue
        try:
            await _settle(db, push, await _process(db, connection, push.payload, sink))
        except Exception:
            # The order itself is in; the platform must still hear "ok". What is left
            # stays held and is replayed with the next push or retry of this order.
            log.warning("replaying push %s failed; it stays held", push.id, exc_info=True)
            return


async def _log_refusal(
    db: Database, connection: ChannelConnection, reason: str, now: datetime
) -> None:
    """Keep a trace of refused pushes (a wrong secret or URL shows up in the queue),
    without their content and at most once a minute per connection."""
    async with db.uow() as uow:
        recent = await uow.session.scalar(
            select(ChannelPush.id)
            .where(
                ChannelPush.merchant_id == connection.merchant_id,
                ChannelPush.connection_id == connection.id,
                ChannelPush.status == PushStatus.REJECTED.value,
                ChannelPush.created_at >= now - REFUSAL_LOG_INTERVAL,
            )
            .limit(1)
        )
        if recent is not None:
            return
        uow.session.add(
            ChannelPush(
                id=new_id(),
                merchant_id=connection.merchant_id,
                connection_id=connection.id,
                channel=connection.channel,
                kind=PushKind.UNKNOWN.value,
                status=PushStatus.REJECTED.value,
                reason=_clip(reason),
                payload=None,
                attempts=1,
                created_at=now,
                updated_at=now,
                resolved_at=now,
            )
        )
        await uow.commit()


def _without_nul(value: Any) -> Any:
    """PostgreSQL stores no NUL character in text or JSON: drop them from what we keep."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _why(exc: OmniloopError) -> str:
    return f"{exc.code}: {exc.detail}"


def _clip(reason: str | None) -> str | None:
    return None if reason is None else reason[:1000]
