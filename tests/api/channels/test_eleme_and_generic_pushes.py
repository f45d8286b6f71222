import time

from tests.api.channels.conftest import (
    connect,
    push_eleme,
    push_generic,
    push_path,
    pushes,
)
from tests.support.factories import add_location, add_skus
from tests.unit.channels.vectors import ELEME_USER_ID, eleme_order_message, generic_order

ELEME_ORDER = "3014728511382982849"


async def _tea_shop(db, tenant, location="OL-NC-001"):
    await add_location(db, tenant.merchant_id, location)
    await add_skus(db, tenant.merchant_id, ["SAUSAGE", "TEA-HOT-L", "TEA-L"])


# ----------------------------------------------------------------------------- Ele.me


async def test_an_eleme_order_then_its_cancellation_reach_the_sink(client, db, tenant, sink):
    await _tea_shop(db, tenant)
    connection = await connect(
        tenant, "eleme", app_id="65929831", sku_map={"200000090398379781": "TEA-HOT-L"}
    )

    placed = await push_eleme(client, connection, 10, eleme_order_message())
    cancelled = await push_eleme(client, connection, 14, {"orderId": ELEME_ORDER, "shopId": 1})

    assert (placed.status_code, placed.json()) == (200, {"message": "ok"})
    assert cancelled.json() == {"message": "ok"}
    (order,) = sink.placed(tenant.merchant_id)
    assert (order.channel, order.external_id, order.location_code, order.total) == (
        "eleme",
        ELEME_ORDER,
        "OL-NC-001",
        1700,
    )
    assert sink.orders[(tenant.merchant_id, "eleme", ELEME_ORDER)].status == "cancelled"
    cancel, new = await pushes(tenant)
    assert [(p["kind"], p["status"]) for p in (cancel, new)] == [
        ("cancel", "accepted"),
        ("new_order", "accepted"),
    ]
    assert new["payload"]["userId"] == ELEME_USER_ID  # stored exactly, beyond 2**53


async def test_an_eleme_repeat_is_a_duplicate_and_a_status_report_is_ignored(
    client, db, tenant, sink
):
    await _tea_shop(db, tenant)
    connection = await connect(tenant, "eleme", sku_map={"200000090398379781": "TEA-HOT-L"})
    await push_eleme(client, connection, 10, eleme_order_message())
    await push_eleme(client, connection, 10, eleme_order_message())
    await push_eleme(client, connection, 12, {"orderId": ELEME_ORDER, "state": "valid"})

    assert len(sink.placed(tenant.merchant_id)) == 1
    statuses = [(p["kind"], p["status"]) for p in await pushes(tenant)]
    assert statuses == [
        ("status", "ignored"),
        ("new_order", "duplicate"),
        ("new_order", "accepted"),
    ]


async def test_an_eleme_push_with_a_bad_signature_is_refused(client, tenant, sink):
    connection = await connect(tenant, "eleme")
    r = await push_eleme(client, connection, 10, eleme_order_message(), secret="wrong-secret")
    assert r.status_code == 401 and r.json() == {"message": "signature verification failed"}
    assert sink.calls == []
    assert [p["status"] for p in await pushes(tenant)] == ["rejected"]


async def test_an_eleme_get_is_a_heartbeat(client, tenant, sink):
    connection = await connect(tenant, "eleme")
    r = await client.get(push_path(connection))
    assert (r.status_code, r.json()) == (200, {"message": "ok"})
    assert await pushes(tenant) == []


# ---------------------------------------------------------------------------- generic


async def test_a_generic_push_signed_like_our_webhooks_places_an_order(client, db, tenant, sink):
    await _tea_shop(db, tenant, location="S001")
    connection = await connect(tenant, "generic", order_channel="partner_app")

    r = await push_generic(client, connection, generic_order())

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["status"] == "accepted" and body["order_id"]
    (order,) = sink.placed(tenant.merchant_id)
    assert (order.channel, order.external_id, order.total) == ("partner_app", "G-1001", 2600)

    delivered = await push_generic(
        client,
        connection,
        {"kind": "delivery_status", "external_id": "G-1001", "status": "delivered"},
    )
    assert delivered.json()["status"] == "accepted"
    assert sink.calls_for("G-1001") == ["place", "delivery_status"]


async def test_a_generic_push_with_a_bad_or_stale_signature_is_401_problem_json(
    client, tenant, sink
):
    connection = await connect(tenant, "generic")
    forged = await push_generic(client, connection, generic_order(), secret="not-the-secret")
    stale = await push_generic(client, connection, generic_order(), at=int(time.time()) - 3600)
    unsigned = await client.post(push_path(connection), json=generic_order())

    for r in (forged, stale, unsigned):
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "invalid_signature"
    assert sink.calls == []


async def test_a_signed_generic_push_that_does_not_add_up_is_held(client, db, tenant, sink):
    await _tea_shop(db, tenant, location="S001")
    connection = await connect(tenant, "generic")
    r = await push_generic(client, connection, generic_order(total=9999))
    assert r.json()["status"] == "held" and sink.calls == []
    (held,) = await pushes(tenant, status="held")
    assert "paid 9999" in held["reason"]
