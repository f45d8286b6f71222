"""Webhook delivery: lease due deliveries, POST them signed, record every attempt.

:func:`deliver_due` leases deliveries (``claimed_until``, a conditional UPDATE per row,
committed), POSTs outside any transaction, then records the attempt and the next state —
delivered, retry later with exponential backoff, or failed for good. A process that dies
mid-post leaves a lease that runs out, and the delivery is posted again: at least once.
Deliveries are not ordered; receivers use ``created_at`` and dedupe on the event ``id``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, func, literal_column, select, update

from omniloop import __version__
from omniloop.config import Settings
from omniloop.db import Database, UnitOfWork
from omniloop.events import OutboxEvent, record_event
from omniloop.observability import Metrics
from omniloop.shared.clock import utcnow
from omniloop.webhooks.domain import (
    SIGNATURE_HEADER,
    DeliveryStatus,
    backoff_seconds,
    is_success,
    reports_failure_of,
    should_give_up,
    sign,
)
from omniloop.webhooks.fanout import affected_rows, claimable
from omniloop.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

log = logging.getLogger("omniloop.webhooks")

USER_AGENT = f"Omniloop-Webhooks/{__version__}"
DELIVERY_BATCH = 100
PER_ENDPOINT_BATCH = 5  # so one slow endpoint holds up a round by one timeout at most
HTTP_CONCURRENCY = 32
DB_CONCURRENCY = 4  # outcome writes; leaves the connection pool to the API
LEASE_MARGIN_SECONDS = 30
ERROR_MAX_LENGTH = 500
BODY_SNIPPET_BYTES = 200

# Inline literal so PostgreSQL can use the partial index on pending deliveries.
_IS_PENDING = WebhookDelivery.status == literal_column("'pending'")
_ITS_SUBSCRIPTION = and_(
    WebhookSubscription.merchant_id == WebhookDelivery.merchant_id,
    WebhookSubscription.id == WebhookDelivery.subscription_id,
)


def encode_body(event: OutboxEvent) -> bytes:
    """The exact bytes a subscriber receives (and the signature covers): compact JSON."""
    return json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class _Job:
    merchant_id: uuid.UUID
    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    subscription_id: uuid.UUID
    attempts_before: int
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True)
class _Response:
    status_code: int | None
    error: str | None
    duration_ms: int
    attempted_at: datetime
    finished_at: datetime


async def _due(db: Database, batch_size: int) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Due deliveries by merchant: the oldest few per endpoint, so that one endpoint with a
    large backlog (say, back from an outage) cannot crowd the others out of a round."""
    now = utcnow()
    rank = (
        func.row_number()
        .over(
            partition_by=(WebhookDelivery.merchant_id, WebhookDelivery.subscription_id),
            order_by=(WebhookDelivery.next_attempt_at, WebhookDelivery.id),
        )
        .label("rank")
    )
    due = (
        select(
            WebhookDelivery.merchant_id,
            WebhookDelivery.id,
            WebhookDelivery.next_attempt_at,
            rank,
        )
        .join(WebhookSubscription, _ITS_SUBSCRIPTION)
        .where(
            _IS_PENDING,
            WebhookDelivery.next_attempt_at <= now,
            claimable(WebhookDelivery.claimed_until, now),
            WebhookSubscription.active.is_(True),
        )
        .subquery()
    )
    async with db.uow().read_only() as uow:
        rows = await uow.session.execute(
            select(due.c.merchant_id, due.c.id)
            .where(due.c.rank <= PER_ENDPOINT_BATCH)
            .order_by(due.c.next_attempt_at, due.c.id)
            .limit(batch_size)
        )
        picked: dict[uuid.UUID, list[uuid.UUID]] = {}
        for merchant_id, delivery_id in rows:
            picked.setdefault(merchant_id, []).append(delivery_id)
    return picked


async def deliver_due(
    *, db: Database, settings: Settings, metrics: Metrics, batch_size: int = DELIVERY_BATCH
) -> int:
    """POST up to ``batch_size`` due deliveries, concurrently; returns how many were tried."""
    timeout = settings.webhook_timeout_seconds
    # Long enough for every wave of the round to time out, so no other process takes over
    # a delivery this one is still about to post.
    waves = -(-batch_size // HTTP_CONCURRENCY)
    lease = timedelta(seconds=timeout * waves + LEASE_MARGIN_SECONDS)
    jobs: list[_Job] = []
    for merchant_id, delivery_ids in (await _due(db, batch_size)).items():
        jobs += await _claim(db.uow(), merchant_id, delivery_ids, lease)
    if not jobs:
        return 0
    http_gate, db_gate = asyncio.Semaphore(HTTP_CONCURRENCY), asyncio.Semaphore(DB_CONCURRENCY)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:

        async def run(job: _Job) -> None:
            async with http_gate:
                response = await _post(client, job, timeout)
            async with db_gate:
                try:
                    outcome = await _record(db.uow(), job, response, settings)
                except Exception:
                    log.exception("could not record webhook delivery %s", job.delivery_id)
                    return
            if outcome is not None:
                metrics.webhook_deliveries.labels(outcome).inc()

        await asyncio.gather(*(run(job) for job in jobs))
    return len(jobs)


async def _claim(
    uow: UnitOfWork, merchant_id: uuid.UUID, delivery_ids: list[uuid.UUID], lease: timedelta
) -> list[_Job]:
    now = utcnow()
    async with uow:
        claimed: list[uuid.UUID] = []
        for delivery_id in delivery_ids:
            result = await uow.session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.merchant_id == merchant_id,
                    WebhookDelivery.id == delivery_id,
                    _IS_PENDING,
                    WebhookDelivery.next_attempt_at <= now,
                    claimable(WebhookDelivery.claimed_until, now),
                )
                .values(claimed_until=now + lease)
                .execution_options(synchronize_session=False)
            )
            if affected_rows(result) == 1:
                claimed.append(delivery_id)
        if not claimed:
            return []
        rows = await uow.session.execute(
            select(WebhookDelivery, WebhookSubscription, OutboxEvent)
            .join(WebhookSubscription, _ITS_SUBSCRIPTION)
            .join(
                OutboxEvent,
                and_(
                    OutboxEvent.merchant_id == WebhookDelivery.merchant_id,
                    OutboxEvent.id == WebhookDelivery.event_id,
                ),
            )
            .where(WebhookDelivery.merchant_id == merchant_id, WebhookDelivery.id.in_(claimed))
        )
        jobs = [
            _Job(
                merchant_id=merchant_id,
                delivery_id=delivery.id,
                event_id=event.id,
                event_type=event.type,
                subscription_id=sub.id,
                attempts_before=delivery.attempt_count,
                url=sub.url,
                secret=sub.secret,
                body=encode_body(event),
            )
            for delivery, sub, event in rows
        ]
        await uow.commit()
    return jobs


def _headers(job: _Job, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Omniloop-Event-Id": str(job.event_id),
        "Omniloop-Event-Type": job.event_type,
        "Omniloop-Delivery-Id": str(job.delivery_id),
        "Omniloop-Delivery-Attempt": str(job.attempts_before + 1),
        SIGNATURE_HEADER: sign(job.secret, timestamp, job.body),
    }


async def _snippet(response: httpx.Response) -> str:
    seen = b""
    async for chunk in response.aiter_bytes():
        seen += chunk
        if len(seen) >= BODY_SNIPPET_BYTES:
            break
    return " ".join(seen[:BODY_SNIPPET_BYTES].decode("utf-8", "replace").split())


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _post(client: httpx.AsyncClient, job: _Job, limit_seconds: float) -> _Response:
    """POST once; never raises — every failure becomes an error string."""
    attempted_at = utcnow()
    headers = _headers(job, int(attempted_at.timestamp()))
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    try:
        # httpx's timeout bounds each read; this bounds the whole exchange (slow drips too).
        async with asyncio.timeout(limit_seconds):
            async with client.stream("POST", job.url, content=job.body, headers=headers) as resp:
                status_code = resp.status_code
                if not is_success(status_code):
                    error = f"HTTP {status_code}"
                    snippet = await _snippet(resp)
                    error += f": {snippet}" if snippet else ""
    except (TimeoutError, httpx.TimeoutException):
        error = error or f"no response within {limit_seconds:g} s"
    except httpx.HTTPError as exc:
        error = error or _describe(exc)
    except Exception as exc:  # a bad URL or TLS setup must not break the whole round
        log.warning("webhook POST to %s failed unexpectedly", job.url, exc_info=True)
        error = error or _describe(exc)
    return _Response(
        status_code=status_code,
        error=error[:ERROR_MAX_LENGTH] if error else None,
        duration_ms=round((time.perf_counter() - started) * 1000),
        attempted_at=attempted_at,
        finished_at=utcnow(),
    )


async def _record(
    uow: UnitOfWork, job: _Job, response: _Response, settings: Settings
) -> str | None:
    """Store the attempt and the delivery's next state; the outcome label, or None if stale."""
    number = job.attempts_before + 1
    values: dict[str, Any] = {
        "attempt_count": number,
        "claimed_until": None,
        "last_status_code": response.status_code,
        "last_error": response.error,
    }
    retry_at: datetime | None = None
    if is_success(response.status_code):
        outcome = "delivered"
        values.update(status=DeliveryStatus.DELIVERED.value, delivered_at=response.finished_at)
        values["next_attempt_at"] = None
    elif should_give_up(number, max_attempts=settings.webhook_max_attempts):
        outcome = "failed"
        values.update(status=DeliveryStatus.FAILED.value, failed_at=response.finished_at)
        values["next_attempt_at"] = None
    else:
        outcome = "retry"
        delay = backoff_seconds(
            number,
            base_seconds=settings.webhook_backoff_base_seconds,
            jitter_sample=random.random(),
        )
        retry_at = response.finished_at + timedelta(seconds=delay)
        values["next_attempt_at"] = retry_at
    async with uow:
        result = await uow.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.merchant_id == job.merchant_id,
                WebhookDelivery.id == job.delivery_id,
                _IS_PENDING,
                WebhookDelivery.attempt_count == job.attempts_before,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if affected_rows(result) != 1:
            # Deleted with its subscription, or another process took over after our lease
            # ran out and recorded first: its record stands.
            log.info("webhook delivery %s changed while being posted", job.delivery_id)
            return None
        uow.session.add(
            WebhookAttempt(
                merchant_id=job.merchant_id,
                delivery_id=job.delivery_id,
                number=number,
                status_code=response.status_code,
                error=response.error,
                duration_ms=response.duration_ms,
                attempted_at=response.attempted_at,
                next_attempt_at=retry_at,
            )
        )
        if outcome == "failed":
            log.warning(
                "webhook delivery %s to %s failed after %d attempts: %s",
                job.delivery_id,
                job.url,
                number,
                response.error,
            )
            if reports_failure_of(job.event_type):
                record_event(
                    uow.session,
                    merchant_id=job.merchant_id,
                    type="webhook.delivery_failed",
                    data={
                        "delivery_id": str(job.delivery_id),
                        "subscription_id": str(job.subscription_id),
                        "event_id": str(job.event_id),
                        "event_type": job.event_type,
                        "attempts": number,
                        "last_status_code": response.status_code,
                        "last_error": response.error,
                    },
                )
        await uow.commit()
    return outcome
