"""Status changes flow back to the platforms, durably.

When the outbox fan-out dispatches ``order.accepted`` or ``order.cancelled`` for an order a
platform delivered, a :class:`PlatformNotification` row is written in that same transaction
(exactly once per event). :func:`send_due_notifications` then calls the platform
(``confirm`` / ``cancel`` through :func:`omniloop.channels.clients.notify_platform`), retrying
with exponential backoff when the platform is down, until it answers or the attempts run out.
A cancel that came *from* the platform is not echoed back.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any, cast

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.channels.clients import notify_platform
from omniloop.channels.models import PlatformNotification
from omniloop.channels.ports import PlatformCallFailed
from omniloop.db import Database
from omniloop.events import OutboxEvent, internal_subscribers
from omniloop.orders.domain import FIRST_PARTY_ONLINE, POS
from omniloop.shared.clock import utcnow
from omniloop.webhooks.domain import backoff_seconds

log = logging.getLogger("omniloop.channels")

MAX_ATTEMPTS = 12
LEASE_SECONDS = 60
ACTIONS = {"order.accepted": "confirm", "order.cancelled": "cancel"}


async def _on_order_event(session: AsyncSession, event: OutboxEvent) -> None:
    data: dict[str, Any] = event.data
    channel, external_id = data.get("channel"), data.get("external_id")
    if not channel or not external_id or channel in FIRST_PARTY_ONLINE or channel == POS:
        return
    if str(data.get("actor", "")).startswith("channel:"):
        return  # the platform told us; telling it back would be an echo
    session.add(
        PlatformNotification(
            id=event.id,
            merchant_id=event.merchant_id,
            channel=channel,
            external_id=external_id,
            action=ACTIONS[event.type],
            reason=data.get("reason"),
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
    )


def register() -> None:
    """Subscribe to the order events platforms must hear about (called by the app factory)."""
    for event_type in ACTIONS:
        internal_subscribers.subscribe(event_type, _on_order_event)


async def _claim(db: Database, merchant_id: uuid.UUID, notification_id: uuid.UUID) -> bool:
    now = utcnow()
    async with db.uow() as uow:
        result = await uow.session.execute(
            update(PlatformNotification)
            .where(
                PlatformNotification.merchant_id == merchant_id,
                PlatformNotification.id == notification_id,
                PlatformNotification.status == "pending",
                PlatformNotification.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
            .execution_options(synchronize_session=False)
        )
        await uow.commit()
    return cast(CursorResult[Any], result).rowcount == 1


async def _finish(
    db: Database, note: PlatformNotification, *, status: str, error: str | None, retry_in: float
) -> None:
    async with db.uow() as uow:
        row = await uow.session.get(PlatformNotification, (note.merchant_id, note.id))
        assert row is not None
        row.attempts += 1
        row.last_error = error[:500] if error else None
        if status == "retry" and row.attempts < MAX_ATTEMPTS:
            row.next_attempt_at = utcnow() + timedelta(seconds=retry_in)
        else:
            row.status = "failed" if status == "retry" else status
            row.finished_at = utcnow()
        await uow.commit()


async def send_due_notifications(
    *, db: Database, backoff_base_seconds: float = 1.0, http: httpx.AsyncClient | None = None
) -> int:
    """Call the platforms owed a confirm or cancel; returns how many calls were made."""
    async with db.uow().read_only() as uow:
        due = list(
            await uow.session.scalars(
                select(PlatformNotification)
                .where(
                    PlatformNotification.status == "pending",
                    or_(PlatformNotification.next_attempt_at <= utcnow()),
                )
                .order_by(PlatformNotification.next_attempt_at)
                .limit(50)
            )
        )
    done = 0
    for note in due:
        if not await _claim(db, note.merchant_id, note.id):
            continue
        try:
            notified = await notify_platform(
                db=db,
                merchant_id=note.merchant_id,
                channel=note.channel,
                external_id=note.external_id,
                action=note.action,  # type: ignore[arg-type]
                reason=note.reason,
                http=http,
            )
        except PlatformCallFailed as exc:
            delay = backoff_seconds(
                note.attempts + 1, base_seconds=backoff_base_seconds, jitter_sample=0.5
            )
            await _finish(
                db, note, status="retry" if exc.retryable else "failed", error=str(exc),
                retry_in=delay,
            )  # fmt: skip
            log.warning("platform call for %s failed: %s", note.external_id, exc)
        else:
            status = "sent" if notified.called else "skipped"
            await _finish(db, note, status=status, error=notified.skipped, retry_in=0)
        done += 1
    return done
