from omniloop.errors import Conflict, Unavailable
from tests.api.channels.conftest import burger_shop, connect, push_meituan, push_path, pushes
from tests.unit.channels.vectors import meituan_new_order

OK = {"data": "ok"}
BAD_SIGNATURE = {"data": "ng", "error": {"code": 703, "msg": "签名验证错误"}}
ORDER_ID = "27011234567890123"


async def test_a_signed_new_order_reaches_the_sink_mapped_and_meituan_hears_ok(
    client, db, tenant, sink
):
    await burger_shop(db, tenant)
    connection = await connect(tenant, app_id="5123")

    r = await push_meituan(client, connection, meituan_new_order())

    assert (r.status_code, r.json()) == (200, OK)
    (order,) = sink.placed(tenant.merchant_id)
    assert (order.channel, order.external_id, order.location_code) == (
        "meituan",
        ORDER_ID,
        "OL-SH-001",
    )
    assert [(line.sku, line.qty, line.unit_price) for line in order.lines] == [
        ("BURGER-01-L", 2, 2550),
        ("COLA-01", 1, 600),
    ]
    assert (order.subtotal, order.fee_total, order.discount_total, order.total) == (
        5700,
        600,
        500,
        5800,
    )
    assert order.customer.phone == "13812345678_1234"
    (push,) = await pushes(tenant)
    assert (push["kind"], push["status"], push["external_id"]) == (
        "new_order",
        "accepted",
        ORDER_ID,
    )
    assert push["order_id"] == str(sink.orders[(tenant.merchant_id, "meituan", ORDER_ID)].id)
    assert push["payload"]["detail"].startswith('[{"app_food_code"')
    assert "sig" not in push["payload"]


async def test_a_repeated_push_is_acknowledged_and_changes_nothing(client, db, tenant, sink):
    await burger_shop(db, tenant)
    connection = await connect(tenant)
    first = await push_meituan(client, connection, meituan_new_order())
    confirmed = await push_meituan(client, connection, meituan_new_order(status="4"))

    assert first.json() == confirmed.json() == OK
    assert len(sink.placed(tenant.merchant_id)) == 1
    assert [p["status"] for p in await pushes(tenant)] == ["duplicate", "accepted"]


async def test_a_bad_signature_is_refused_with_703_and_nothing_reaches_the_sink(
    client, db, tenant, sink
):
    await burger_shop(db, tenant)
    connection = await connect(tenant)

    forged = await push_meituan(client, connection, meituan_new_order(), secret="f" * 32)
    again = await push_meituan(client, connection, meituan_new_order(total="0.01"), secret="x" * 8)

    assert (forged.status_code, forged.json()) == (200, BAD_SIGNATURE)
    assert again.json() == BAD_SIGNATURE
    assert sink.calls == []
    (logged,) = await pushes(tenant)  # refusals are logged at most once a minute
    assert (logged["status"], logged["payload"], logged["order_id"]) == ("rejected", None, None)
    assert "signature" in logged["reason"]


async def test_the_signature_is_checked_against_the_registered_url_not_the_one_seen(
    client, db, tenant, sink
):
    await burger_shop(db, tenant)
    registered = "https://shop.example.com/meituan/push"
    connection = await connect(tenant, public_url=registered)
    wrong = await push_meituan(
        client, {**connection, "public_url": connection["webhook_url"]}, meituan_new_order()
    )
    right = await push_meituan(client, connection, meituan_new_order())
    assert (wrong.json(), right.json()) == (BAD_SIGNATURE, OK)


async def test_a_push_for_another_app_id_is_refused(client, db, tenant, sink):
    connection = await connect(tenant, app_id="9999")
    r = await push_meituan(client, connection, meituan_new_order())
    assert r.json() == BAD_SIGNATURE and sink.calls == []


async def test_a_once_encoded_push_signed_over_its_values_is_accepted(client, db, tenant, sink):
    await burger_shop(db, tenant)
    connection = await connect(tenant)
    r = await push_meituan(client, connection, meituan_new_order(), twice=False)
    assert r.json() == OK and len(sink.placed(tenant.merchant_id)) == 1


async def test_an_empty_push_is_a_heartbeat_answered_ok_and_not_recorded(client, tenant, sink):
    connection = await connect(tenant)
    r = await client.post(push_path(connection))
    g = await client.get(push_path(connection))
    assert r.json() == g.json() == OK
    assert await pushes(tenant) == []


async def test_cancel_by_get_cancels_the_order(client, db, tenant, sink):
    await burger_shop(db, tenant)
    connection = await connect(tenant)
    await push_meituan(client, connection, meituan_new_order())
    cancel = {
        "app_id": "5123",
        "timestamp": "1718000100",
        "order_id": ORDER_ID,
        "reason_code": "1002",
        "reason": "用户取消",
    }

    r = await push_meituan(client, connection, cancel, method="GET")

    assert r.json() == OK
    assert sink.orders[(tenant.merchant_id, "meituan", ORDER_ID)].status == "cancelled"
    assert [p["kind"] for p in await pushes(tenant, status="accepted")] == ["cancel", "new_order"]


async def test_refund_and_delivery_pushes_reach_the_sink(client, db, tenant, sink):
    await burger_shop(db, tenant)
    connection = await connect(tenant)
    await push_meituan(client, connection, meituan_new_order())
    system = {"app_id": "5123", "timestamp": "1718000100", "order_id": ORDER_ID}
    await push_meituan(
        client,
        connection,
        {**system, "logistics_status": "40", "dispatcher_name": "王", "dispatcher_mobile": "139"},
    )
    await push_meituan(client, connection, {**system, "notify_type": "agree", "reason": "少送"})
    assert sink.calls_for(ORDER_ID) == ["place", "delivery_status", "refund"]
    assert sink.orders[(tenant.merchant_id, "meituan", ORDER_ID)].status == "refunded"


async def test_a_cancel_that_arrives_before_its_order_waits_and_then_applies(
    client, db, tenant, sink
):
    await burger_shop(db, tenant)
    connection = await connect(tenant)
    cancel = {
        "app_id": "5123",
        "timestamp": "1718000100",
        "order_id": ORDER_ID,
        "reason_code": "1002",
        "reason": "用户取消",
    }
    early = await push_meituan(client, connection, cancel)
    (waiting,) = await pushes(tenant, status="held")
    assert early.json() == OK and "waiting for its order" in waiting["reason"]

    await push_meituan(client, connection, meituan_new_order())

    assert sink.orders[(tenant.merchant_id, "meituan", ORDER_ID)].status == "cancelled"
    assert await pushes(tenant, status="held") == []
    assert sink.calls_for(ORDER_ID) == ["cancel", "place", "cancel"]


async def test_an_order_the_sink_refuses_is_failed_for_review_and_meituan_still_hears_ok(
    client, db, tenant, sink
):
    await burger_shop(db, tenant)
    connection = await connect(tenant)
    refusal = Conflict("not enough stock of BURGER-01-L at OL-SH-001")
    refusal.code = "insufficient_stock"
    sink.refusals[ORDER_ID] = refusal

    r = await push_meituan(client, connection, meituan_new_order())

    assert r.json() == OK
    (failed,) = await pushes(tenant, status="failed")
    assert failed["reason"].startswith("insufficient_stock: not enough stock")

    del sink.refusals[ORDER_ID]
    retried = await tenant.post(f"/api/v1/channel-pushes/{failed['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("accepted", 2)


async def test_a_transient_sink_failure_records_nothing_so_meituan_pushes_again(
    client, db, tenant, sink
):
    await burger_shop(db, tenant)
    connection = await connect(tenant)
    sink.refusals[ORDER_ID] = Unavailable("the database is busy")

    r = await push_meituan(client, connection, meituan_new_order())

    assert r.status_code == 503 and r.json()["code"] == "unavailable"
    assert await pushes(tenant) == []


async def test_a_nul_character_in_a_signed_field_does_not_break_storage(client, db, tenant, sink):
    await burger_shop(db, tenant)
    connection = await connect(tenant)
    r = await push_meituan(client, connection, meituan_new_order(caution="少放辣\x00"))
    assert r.json() == OK
    (push,) = await pushes(tenant)
    assert push["status"] == "accepted" and push["payload"]["caution"] == "少放辣"
