from __future__ import annotations

import itertools
import json
from datetime import timedelta

from sqlalchemy import update

from omniloop.shared.clock import utcnow
from omniloop.webhooks.models import WebhookDelivery
from omniloop.webhooks.service import deliver_due, fan_out_events
from tests.integration.webhooks.conftest import (
    attempts_of,
    counted,
    deliveries_of,
    record,
    settle,
    subscribe,
)


async def test_a_failing_endpoint_is_retried_with_growing_delays_until_it_accepts(
    tenant, db, fast, metrics, receiver
):
    endpoint = receiver(500, 503, 500, 200)
    hook = await subscribe(tenant, endpoint.url, ["inventory.adjusted"])
    event = await record(db, tenant.merchant_id, "inventory.adjusted", {"delta": 1})
    patient = fast.model_copy(update={"webhook_backoff_base_seconds": 0.1})

    await settle(db, patient, metrics, [tenant.merchant_id])

    assert len(endpoint.requests) == 4
    assert {json.loads(r.body)["id"] for r in endpoint.requests} == {str(event.id)}
    arrivals = [r.at for r in endpoint.requests]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert gaps[0] < gaps[1] < gaps[2], gaps
    for number, gap in enumerate(gaps, start=1):
        assert gap >= 0.8 * 0.1 * 2 ** (number - 1) - 0.01, gaps

    (delivery,) = await deliveries_of(db, tenant.merchant_id)
    assert (delivery.status, delivery.attempt_count) == ("delivered", 4)
    attempts = await attempts_of(db, tenant.merchant_id, delivery.id)
    assert [a.status_code for a in attempts] == [500, 503, 500, 200]
    assert [a.number for a in attempts] == [1, 2, 3, 4]
    assert attempts[0].error == "HTTP 500: something broke"
    assert attempts[-1].error is None and attempts[-1].next_attempt_at is None
    scheduled = [(a.next_attempt_at - a.attempted_at).total_seconds() for a in attempts[:3]]
    assert scheduled[0] < scheduled[1] < scheduled[2]
    assert counted(metrics, "retry") >= 3 and counted(metrics, "delivered") >= 1

    r = await tenant.get(f"/api/v1/webhooks/{hook['id']}/deliveries")
    (shown,) = r.json()["items"]
    assert shown["status"] == "delivered" and shown["event_id"] == str(event.id)
    assert [a["status_code"] for a in shown["attempts"]] == [500, 503, 500, 200]
    assert all(a["duration_ms"] >= 0 and a["attempted_at"] for a in shown["attempts"])
    assert shown["attempts"][1]["error"].startswith("HTTP 503")


async def test_an_endpoint_that_stays_down_fails_after_the_last_attempt(
    tenant, db, fast, metrics, closed_url
):
    hook = await subscribe(tenant, closed_url, ["inventory.adjusted"])
    event = await record(db, tenant.merchant_id, "inventory.adjusted")
    three_tries = fast.model_copy(update={"webhook_max_attempts": 3})

    await settle(db, three_tries, metrics, [tenant.merchant_id])

    (delivery,) = await deliveries_of(db, tenant.merchant_id)
    assert (delivery.status, delivery.attempt_count) == ("failed", 3)
    assert delivery.failed_at is not None and delivery.next_attempt_at is None
    attempts = await attempts_of(db, tenant.merchant_id, delivery.id)
    assert [a.status_code for a in attempts] == [None, None, None]
    assert all("ConnectError" in (a.error or "") for a in attempts)
    assert counted(metrics, "failed") >= 1 and counted(metrics, "retry") >= 2

    r = await tenant.get("/api/v1/events?type=webhook.delivery_failed")
    (failure,) = r.json()["items"]
    assert failure["data"]["delivery_id"] == str(delivery.id)
    assert failure["data"]["subscription_id"] == hook["id"]
    assert failure["data"]["event_id"] == str(event.id)
    assert failure["data"]["attempts"] == 3
    assert "ConnectError" in failure["data"]["last_error"]

    shown = (await tenant.get(f"/api/v1/webhooks/{hook['id']}/deliveries?status=failed")).json()
    assert [d["id"] for d in shown["items"]] == [str(delivery.id)]


async def test_a_dead_endpoint_subscribed_to_everything_does_not_feed_on_its_own_failures(
    tenant, db, fast, metrics, closed_url
):
    await subscribe(tenant, closed_url, ["*"])
    await record(db, tenant.merchant_id, "inventory.adjusted")
    two_tries = fast.model_copy(update={"webhook_max_attempts": 2})

    await settle(db, two_tries, metrics, [tenant.merchant_id])
    await settle(db, two_tries, metrics, [tenant.merchant_id])

    failures = (await tenant.get("/api/v1/events?type=webhook.delivery_failed")).json()
    assert [f["data"]["event_type"] for f in failures["items"]] == ["inventory.adjusted"]
    deliveries = await deliveries_of(db, tenant.merchant_id)
    assert {d.status for d in deliveries} == {"failed"}
    assert sorted(d.event_type for d in deliveries) == [
        "inventory.adjusted",
        "webhook.created",
        "webhook.delivery_failed",
    ]


async def test_a_delivery_leased_by_another_process_waits_until_the_lease_runs_out(
    tenant, db, fast, metrics, receiver
):
    endpoint = receiver()
    await subscribe(tenant, endpoint.url, ["inventory.adjusted"])
    await record(db, tenant.merchant_id, "inventory.adjusted")
    while await fan_out_events(db=db):
        pass
    (delivery,) = await deliveries_of(db, tenant.merchant_id)

    async def lease_until(moment):
        async with db.uow() as uow:
            await uow.session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.merchant_id == tenant.merchant_id,
                    WebhookDelivery.id == delivery.id,
                )
                .values(claimed_until=moment)
            )
            await uow.commit()

    await lease_until(utcnow() + timedelta(hours=1))  # a live process is posting it
    for _ in range(3):
        await deliver_due(db=db, settings=fast, metrics=metrics)
    assert endpoint.requests == []

    await lease_until(utcnow() - timedelta(seconds=1))  # that process died mid-post
    await settle(db, fast, metrics, [tenant.merchant_id])
    assert len(endpoint.requests) == 1
    (delivery,) = await deliveries_of(db, tenant.merchant_id)
    assert (delivery.status, delivery.attempt_count, delivery.claimed_until) == (
        "delivered",
        1,
        None,
    )


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    tenant, db, fast, metrics, receiver
):
    endpoint = receiver(301, 200)
    await subscribe(tenant, endpoint.url, ["inventory.adjusted"])
    await record(db, tenant.merchant_id, "inventory.adjusted")

    await settle(db, fast, metrics, [tenant.merchant_id])

    (delivery,) = await deliveries_of(db, tenant.merchant_id)
    attempts = await attempts_of(db, tenant.merchant_id, delivery.id)
    assert [a.status_code for a in attempts] == [301, 200]
    assert delivery.status == "delivered"
