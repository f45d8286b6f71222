"""A real HTTP receiver (pytest-httpserver) and helpers that drive the dispatcher by hand.

The test database is shared by every test of the session, so the dispatcher also moves
other tests' events and deliveries; assertions look at the test's own merchant only, and
each test pauses its subscriptions when it ends so that nothing it left behind is retried.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select, update
from werkzeug import Request, Response

from omniloop.config import Settings
from omniloop.db import Database
from omniloop.events import OutboxEvent, record_event
from omniloop.observability import Metrics
from omniloop.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from omniloop.webhooks.service import deliver_due, fan_out_events


@dataclass(frozen=True)
class Received:
    body: bytes
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival


class Receiver:
    """One endpoint on the shared server: answers ``statuses`` in turn (the last repeats)."""

    def __init__(self, server: HTTPServer, statuses: tuple[int, ...], delay: float) -> None:
        self.path = f"/hooks/{uuid.uuid4().hex}"
        self.url = server.url_for(self.path)
        self.requests: list[Received] = []
        self._statuses = list(statuses)
        self._delay = delay
        self._lock = threading.Lock()
        server.expect_request(self.path, method="POST").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        arrived = time.monotonic()
        with self._lock:
            self.requests.append(Received(request.get_data(), dict(request.headers), arrived))
            status = self._statuses.pop(0) if len(self._statuses) > 1 else self._statuses[0]
        if self._delay:
            time.sleep(self._delay)
        return Response("ok" if status < 300 else "something broke", status=status)


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def receiver(receiver_server: HTTPServer) -> Callable[..., Receiver]:
    def make(*statuses: int, delay: float = 0.0) -> Receiver:
        return Receiver(receiver_server, statuses or (200,), delay)

    return make


@pytest.fixture
def closed_url() -> str:
    """A URL where nothing listens: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """Settings for quick retries and short timeouts."""
    return settings.model_copy(
        update={
            "webhook_timeout_seconds": 2.0,
            "webhook_backoff_base_seconds": 0.05,
            "webhook_max_attempts": 5,
        }
    )


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture(autouse=True)
async def _pause_subscriptions_afterwards(db: Database) -> AsyncIterator[None]:
    started = datetime.now(UTC) - timedelta(seconds=1)
    yield
    # Subscriptions made during this test stop receiving, so later tests never wait on them.
    async with db.uow() as uow:
        await uow.session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.active.is_(True))
            .where(WebhookSubscription.created_at >= started)
            .values(active=False)
        )
        await uow.commit()


async def subscribe(tenant: Any, url: str, events: list[str], **fields: Any) -> dict[str, Any]:
    r = await tenant.post("/api/v1/webhooks", json={"url": url, "events": events, **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def record(
    db: Database, merchant_id: uuid.UUID, type_: str, data: dict[str, Any] | None = None
) -> OutboxEvent:
    async with db.uow() as uow:
        event = record_event(uow.session, merchant_id=merchant_id, type=type_, data=data or {})
        await uow.commit()
    return event


async def deliveries_of(db: Database, merchant_id: uuid.UUID) -> list[WebhookDelivery]:
    async with db.uow().read_only() as uow:
        rows = await uow.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.merchant_id == merchant_id)
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        )
        return list(rows)


async def attempts_of(db: Database, merchant_id: uuid.UUID, delivery_id: uuid.UUID) -> list:
    async with db.uow().read_only() as uow:
        rows = await uow.session.scalars(
            select(WebhookAttempt)
            .where(
                WebhookAttempt.merchant_id == merchant_id,
                WebhookAttempt.delivery_id == delivery_id,
            )
            .order_by(WebhookAttempt.number)
        )
        return list(rows)


async def _settled(db: Database, merchant_id: uuid.UUID) -> bool:
    async with db.uow().read_only() as uow:
        waiting = await uow.session.scalar(
            select(OutboxEvent.id)
            .where(OutboxEvent.merchant_id == merchant_id, OutboxEvent.dispatched_at.is_(None))
            .limit(1)
        )
        pending = await uow.session.scalar(
            select(WebhookDelivery.id)
            .join(
                WebhookSubscription,
                (WebhookSubscription.merchant_id == WebhookDelivery.merchant_id)
                & (WebhookSubscription.id == WebhookDelivery.subscription_id),
            )
            .where(
                WebhookDelivery.merchant_id == merchant_id,
                WebhookDelivery.status == "pending",
                WebhookSubscription.active.is_(True),
            )
            .limit(1)
        )
    return waiting is None and pending is None


def counted(metrics: Metrics, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "omniloop_webhook_delivery_attempts_total", {"outcome": outcome}
    )
    return value or 0.0


async def settle(
    db: Database,
    settings: Settings,
    metrics: Metrics,
    merchant_ids: list[uuid.UUID],
    *,
    within: float = 20.0,
) -> None:
    """Run fan-out and delivery until these merchants have nothing left to send."""
    deadline = time.monotonic() + within
    while True:
        await fan_out_events(db=db)
        await deliver_due(db=db, settings=settings, metrics=metrics)
        if all([await _settled(db, m) for m in merchant_ids]):
            return
        assert time.monotonic() < deadline, "the dispatcher did not settle in time"
        await asyncio.sleep(0.01)
