from __future__ import annotations

import json
import time
import uuid

from omniloop import __version__
from omniloop.events import record_event
from omniloop.webhooks.domain import verify
from omniloop.webhooks.service import deliver_due, fan_out_events
from tests.integration.webhooks.conftest import (
    counted,
    deliveries_of,
    record,
    settle,
    subscribe,
)


def _event_ids(receiver) -> list[str]:
    return [json.loads(r.body)["id"] for r in receiver.requests]


async def test_the_receiver_gets_a_signed_body_that_matches_the_event(
    tenant, db, fast, metrics, receiver
):
    endpoint = receiver()
    hook = await subscribe(tenant, endpoint.url, ["inventory.adjusted"])
    event = await record(
        db, tenant.merchant_id, "inventory.adjusted", {"sku": "TEA-L", "delta": -2, "名": "茶"}
    )

    await settle(db, fast, metrics, [tenant.merchant_id])

    (received,) = endpoint.requests
    assert verify(
        hook["secret"], received.headers["Omniloop-Signature"], received.body, 300, time.time()
    )
    assert not verify(
        "whsec_not-the-secret-at-all",
        received.headers["Omniloop-Signature"],
        received.body,
        300,
        time.time(),
    )
    assert json.loads(received.body) == {
        "id": str(event.id),
        "type": "inventory.adjusted",
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "merchant_id": str(tenant.merchant_id),
        "data": {"sku": "TEA-L", "delta": -2, "名": "茶"},
    }
    assert b" " not in received.body.replace(b'"TEA-L"', b"")  # compact JSON
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Omniloop-Event-Id"] == str(event.id)
    assert received.headers["Omniloop-Event-Type"] == "inventory.adjusted"
    assert received.headers["User-Agent"] == f"Omniloop-Webhooks/{__version__}"

    (delivery,) = await deliveries_of(db, tenant.merchant_id)
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == (
        "delivered",
        1,
        200,
    )
    assert counted(metrics, "delivered") >= 1


async def test_star_prefix_and_exact_subscriptions_each_get_what_they_match(
    tenant, db, fast, metrics, receiver
):
    exact, prefix, everything = receiver(), receiver(), receiver()
    await subscribe(tenant, exact.url, ["inventory.adjusted"])
    await subscribe(tenant, prefix.url, ["inventory.*"])
    await subscribe(tenant, everything.url, ["*"])
    adjusted = await record(db, tenant.merchant_id, "inventory.adjusted")
    reserved = await record(db, tenant.merchant_id, "inventory.reserved")
    located = await record(db, tenant.merchant_id, "location.created")

    await settle(db, fast, metrics, [tenant.merchant_id])

    assert _event_ids(exact) == [str(adjusted.id)]
    assert sorted(_event_ids(prefix)) == sorted([str(adjusted.id), str(reserved.id)])
    assert {str(adjusted.id), str(reserved.id), str(located.id)} <= set(_event_ids(everything))


async def test_another_merchants_events_never_reach_this_merchants_webhook(
    tenant, other_tenant, db, fast, metrics, receiver
):
    mine, theirs = receiver(), receiver()
    await subscribe(tenant, mine.url, ["*"])
    await subscribe(other_tenant, theirs.url, ["*"])
    for _ in range(3):
        await record(db, tenant.merchant_id, "inventory.adjusted")
        await record(db, other_tenant.merchant_id, "inventory.adjusted")

    await settle(db, fast, metrics, [tenant.merchant_id, other_tenant.merchant_id])

    assert {json.loads(r.body)["merchant_id"] for r in mine.requests} == {str(tenant.merchant_id)}
    assert {json.loads(r.body)["merchant_id"] for r in theirs.requests} == {
        str(other_tenant.merchant_id)
    }
    assert len(mine.requests) >= 3 and len(theirs.requests) >= 3


async def test_a_subscription_receives_only_events_that_happen_after_it_exists(
    tenant, db, fast, metrics, receiver
):
    endpoint = receiver()
    before = await record(db, tenant.merchant_id, "inventory.adjusted")
    await subscribe(tenant, endpoint.url, ["inventory.adjusted"])
    after = await record(db, tenant.merchant_id, "inventory.adjusted")

    await settle(db, fast, metrics, [tenant.merchant_id])

    assert _event_ids(endpoint) == [str(after.id)]
    assert str(before.id) not in _event_ids(endpoint)


async def test_a_paused_subscription_holds_its_deliveries_until_resumed(
    tenant, db, fast, metrics, receiver
):
    endpoint = receiver()
    hook = await subscribe(tenant, endpoint.url, ["inventory.adjusted"])
    queued = await record(db, tenant.merchant_id, "inventory.adjusted")
    while await fan_out_events(db=db):
        pass
    await tenant.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False})
    while_paused = await record(db, tenant.merchant_id, "inventory.adjusted")

    await settle(db, fast, metrics, [tenant.merchant_id])
    assert endpoint.requests == []

    await tenant.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": True})
    await settle(db, fast, metrics, [tenant.merchant_id])
    assert _event_ids(endpoint) == [str(queued.id)]
    assert str(while_paused.id) not in _event_ids(endpoint)


async def test_a_test_event_reaches_only_its_subscription(tenant, db, fast, metrics, receiver):
    target, bystander = receiver(), receiver()
    hook = await subscribe(tenant, target.url, ["location.created"])
    await subscribe(tenant, bystander.url, ["*"])
    r = await tenant.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert r.status_code == 202

    await settle(db, fast, metrics, [tenant.merchant_id])

    (received,) = target.requests
    body = json.loads(received.body)
    assert body["type"] == "webhook.test" and body["id"] == r.json()["event_id"]
    assert body["data"]["subscription_id"] == hook["id"]
    assert verify(
        hook["secret"], received.headers["Omniloop-Signature"], received.body, 300, time.time()
    )
    assert "webhook.test" not in [json.loads(x.body)["type"] for x in bystander.requests]


async def test_a_slow_endpoint_times_out_without_holding_up_the_others(
    tenant, db, fast, metrics, receiver
):
    slow, quick = receiver(delay=3.0), receiver()
    await subscribe(tenant, slow.url, ["inventory.adjusted"])
    await subscribe(tenant, quick.url, ["inventory.adjusted"])
    await record(db, tenant.merchant_id, "inventory.adjusted")
    while await fan_out_events(db=db):
        pass
    impatient = fast.model_copy(update={"webhook_timeout_seconds": 0.5, "webhook_max_attempts": 1})

    started = time.monotonic()
    while any(d.status == "pending" for d in await deliveries_of(db, tenant.merchant_id)):
        await deliver_due(db=db, settings=impatient, metrics=metrics)
        assert time.monotonic() - started < 2.5
    elapsed = time.monotonic() - started

    by_url = {}
    for delivery in await deliveries_of(db, tenant.merchant_id):
        by_url[delivery.subscription_id] = delivery
    statuses = sorted((d.status, d.last_error or "") for d in by_url.values())
    assert statuses == [("delivered", ""), ("failed", "no response within 0.5 s")]
    assert len(quick.requests) == 1 and len(slow.requests) == 1
    assert quick.requests[0].at - started < 0.5
    assert elapsed < 2.0


async def test_deleting_a_subscription_stops_its_retries(tenant, db, fast, metrics, receiver):
    endpoint = receiver(500)
    hook = await subscribe(tenant, endpoint.url, ["inventory.adjusted"])
    await record(db, tenant.merchant_id, "inventory.adjusted")
    while not endpoint.requests:
        await fan_out_events(db=db)
        await deliver_due(db=db, settings=fast, metrics=metrics)

    assert (await tenant.delete(f"/api/v1/webhooks/{hook['id']}")).status_code == 204
    await settle(db, fast, metrics, [tenant.merchant_id])
    tried = len(endpoint.requests)
    for _ in range(5):
        await deliver_due(db=db, settings=fast, metrics=metrics)
    assert len(endpoint.requests) == tried == 1
    assert await deliveries_of(db, tenant.merchant_id) == []


async def test_many_events_each_arrive_once_with_their_ids_in_the_headers(
    tenant, db, fast, metrics, receiver
):
    endpoint = receiver()
    await subscribe(tenant, endpoint.url, ["order.*"])
    events = [await record(db, tenant.merchant_id, "order.placed", {"n": n}) for n in range(12)]

    await settle(db, fast, metrics, [tenant.merchant_id])

    assert sorted(_event_ids(endpoint)) == sorted(str(e.id) for e in events)
    assert {r.headers["Omniloop-Event-Id"] for r in endpoint.requests} == {
        str(e.id) for e in events
    }
    assert all(uuid.UUID(r.headers["Omniloop-Delivery-Id"]) for r in endpoint.requests)


async def test_an_endpoint_with_a_backlog_does_not_crowd_out_the_others(
    tenant, db, fast, metrics, receiver
):
    backlogged, other = receiver(), receiver()
    await subscribe(tenant, backlogged.url, ["order.placed"])
    await subscribe(tenant, other.url, ["order.cancelled"])
    for _ in range(30):
        await record(db, tenant.merchant_id, "order.placed")
    while await fan_out_events(db=db):
        pass
    await record(db, tenant.merchant_id, "order.cancelled")  # due after all thirty
    while await fan_out_events(db=db):
        pass

    for _ in range(20):
        await deliver_due(db=db, settings=fast, metrics=metrics, batch_size=6)
        if other.requests:
            break
    assert len(other.requests) == 1
    assert len(backlogged.requests) <= 10


async def test_deliveries_page_newest_first_even_when_fanned_out_at_the_same_instant(
    tenant, db, receiver
):
    hook = await subscribe(tenant, receiver().url, ["order.placed"])
    async with db.uow() as uow:
        for _ in range(3):
            record_event(uow.session, merchant_id=tenant.merchant_id, type="order.placed", data={})
        await uow.commit()
    while await fan_out_events(db=db):
        pass
    created = {d.created_at for d in await deliveries_of(db, tenant.merchant_id)}
    assert len(created) == 1  # one fan-out transaction, one timestamp: ids break the tie

    url = f"/api/v1/webhooks/{hook['id']}/deliveries?limit=2"
    first = (await tenant.get(url)).json()
    second = (await tenant.get(f"{url}&cursor={first['next_cursor']}")).json()
    ids = [d["id"] for d in first["items"] + second["items"]]
    assert len(set(ids)) == 3 and second["next_cursor"] is None
    assert all(d["attempts"] == [] and d["status"] == "pending" for d in first["items"])
