from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import httpx

from omniloop.app import create_app
from omniloop.db import Database
from omniloop.events import record_event
from omniloop.webhooks.domain import verify
from omniloop.webhooks.service import deliver_due, fan_out_events, outbox_backlog
from tests.integration.webhooks.conftest import deliveries_of, record, settle, subscribe


async def test_two_dispatchers_deliver_each_event_exactly_once(
    tenant, db, settings, fast, metrics, receiver
):
    endpoint = receiver()
    await subscribe(tenant, endpoint.url, ["order.*"])
    async with db.uow() as uow:
        events = [
            record_event(
                uow.session, merchant_id=tenant.merchant_id, type="order.placed", data={"n": n}
            )
            for n in range(40)
        ]
        await uow.commit()
    second = Database(settings.database_url)
    try:
        for _ in range(200):
            fanned = await asyncio.gather(fan_out_events(db=db), fan_out_events(db=second))
            if not any(fanned):
                break
        for _ in range(200):
            await asyncio.gather(
                deliver_due(db=db, settings=fast, metrics=metrics),
                deliver_due(db=second, settings=fast, metrics=metrics),
            )
            deliveries = await deliveries_of(db, tenant.merchant_id)
            if all(d.status != "pending" for d in deliveries):
                break
    finally:
        await second.dispose()

    received = Counter(json.loads(r.body)["id"] for r in endpoint.requests)
    assert received == Counter({str(e.id): 1 for e in events})
    deliveries = await deliveries_of(db, tenant.merchant_id)
    assert len(deliveries) == 40
    assert {(d.status, d.attempt_count) for d in deliveries} == {("delivered", 1)}


async def test_an_event_committed_before_a_restart_is_delivered_after_it(
    tenant, db, settings, fast, metrics, receiver
):
    endpoint = receiver()
    hook = await subscribe(tenant, endpoint.url, ["inventory.adjusted"])
    event = await record(db, tenant.merchant_id, "inventory.adjusted", {"delta": 5})
    # The process dies here: nothing in memory survives, only the database.

    restarted = create_app(settings)
    try:
        await settle(restarted.state.db, fast, restarted.state.metrics, [tenant.merchant_id])
    finally:
        await restarted.state.db.dispose()

    (received,) = endpoint.requests
    assert json.loads(received.body)["id"] == str(event.id)
    assert verify(
        hook["secret"], received.headers["Omniloop-Signature"], received.body, 300, time.time()
    )


async def test_the_backlog_counts_undispatched_events_and_their_age(tenant, db, app):
    while await fan_out_events(db=db):
        pass
    assert await outbox_backlog(db=db) == (0, 0.0)

    await record(db, tenant.merchant_id, "inventory.adjusted")
    await asyncio.sleep(0.05)
    pending, age = await outbox_backlog(db=db)
    assert pending == 1 and 0.05 <= age < 5

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        text = (await client.get("/metrics")).text
    assert "omniloop_outbox_pending_events 1.0" in text

    while await fan_out_events(db=db):
        pass
    assert await outbox_backlog(db=db) == (0, 0.0)
