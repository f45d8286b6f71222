from tests.api.channels.conftest import connect, push_meituan, pushes
from tests.support.factories import add_location, add_skus
from tests.unit.channels.vectors import meituan_new_order

ORDER_ID = "27011234567890123"


async def test_an_unknown_store_is_held_for_review_and_placed_after_the_map_is_fixed(
    client, db, tenant, sink
):
    await add_location(db, tenant.merchant_id, "SH-PEOPLES-SQ")
    await add_skus(db, tenant.merchant_id, ["BURGER-01-L", "COLA-01"])
    connection = await connect(tenant)

    r = await push_meituan(client, connection, meituan_new_order())

    assert r.json() == {"data": "ok"}  # the platform must stop retrying: nothing is lost
    assert sink.calls == []
    (held,) = await pushes(tenant, status="held", connection=connection["id"])
    assert (held["kind"], held["external_id"]) == ("new_order", ORDER_ID)
    assert "unknown store code 'OL-SH-001'" in held["reason"]
    assert held["resolved_at"] is None

    still = await tenant.post(f"/api/v1/channel-pushes/{held['id']}/retry")
    assert (still.json()["status"], still.json()["attempts"]) == ("held", 2)

    patched = await tenant.patch(
        f"/api/v1/channel-connections/{connection['id']}",
        json={"store_map": {"OL-SH-001": "SH-PEOPLES-SQ"}},
    )
    assert patched.status_code == 200, patched.text
    retried = await tenant.post(f"/api/v1/channel-pushes/{held['id']}/retry")

    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert (body["status"], body["attempts"]) == ("accepted", 3)
    assert body["resolved_at"] is not None and body["order_id"] is not None
    (order,) = sink.placed(tenant.merchant_id)
    assert order.location_code == "SH-PEOPLES-SQ" and order.store_code == "OL-SH-001"
    assert await pushes(tenant, status="held") == []

    again = await tenant.post(f"/api/v1/channel-pushes/{held['id']}/retry")
    assert again.status_code == 409 and again.json()["code"] == "push_not_reviewable"


async def test_unknown_items_are_held_until_the_sku_map_names_them(client, db, tenant, sink):
    await add_location(db, tenant.merchant_id, "OL-SH-001")
    await add_skus(db, tenant.merchant_id, ["BURGER-L", "COLA-01"])
    connection = await connect(tenant)
    await push_meituan(client, connection, meituan_new_order())
    (held,) = await pushes(tenant, status="held")
    assert "'BURGER-01-L' / 'BURGER-01'" in held["reason"] and "sku_map" in held["reason"]

    await tenant.patch(
        f"/api/v1/channel-connections/{connection['id']}",
        json={"sku_map": {"BURGER-01": "BURGER-L"}},
    )
    retried = await tenant.post(f"/api/v1/channel-pushes/{held['id']}/retry")

    assert retried.json()["status"] == "accepted"
    assert [line.sku for line in sink.placed(tenant.merchant_id)[0].lines] == [
        "BURGER-L",
        "COLA-01",
    ]


async def test_the_queue_announces_held_pushes_and_their_resolution_as_events(
    client, db, tenant, sink
):
    await add_skus(db, tenant.merchant_id, ["BURGER-01-L", "COLA-01"])
    connection = await connect(tenant)
    await push_meituan(client, connection, meituan_new_order())
    (held,) = await pushes(tenant, status="held")
    await add_location(db, tenant.merchant_id, "OL-SH-001")
    await tenant.post(f"/api/v1/channel-pushes/{held['id']}/retry")

    events = (await tenant.get("/api/v1/events", params={"type": "channel_push.*"})).json()
    assert [e["type"] for e in events["items"]] == ["channel_push.resolved", "channel_push.held"]
    assert events["items"][1]["data"]["id"] == held["id"]
    assert "payload" not in events["items"][1]["data"]  # customers' details stay out of events


async def test_a_platform_cancel_closes_an_order_still_held_for_review(client, db, tenant, sink):
    connection = await connect(tenant)
    await push_meituan(client, connection, meituan_new_order())
    cancel = {
        "app_id": "5123",
        "timestamp": "1718000100",
        "order_id": ORDER_ID,
        "reason_code": "1002",
        "reason": "用户取消",
    }

    r = await push_meituan(client, connection, cancel)

    assert r.json() == {"data": "ok"}
    assert await pushes(tenant, status="held") == []
    (dismissed,) = await pushes(tenant, status="dismissed")
    assert dismissed["kind"] == "new_order" and "cancelled on the platform" in dismissed["reason"]
    (accepted,) = await pushes(tenant, status="accepted")
    assert accepted["kind"] == "cancel"


async def test_a_held_push_can_be_dismissed_by_a_person(client, tenant, sink):
    connection = await connect(tenant)
    await push_meituan(client, connection, meituan_new_order())
    (held,) = await pushes(tenant, status="held")

    r = await tenant.post(
        f"/api/v1/channel-pushes/{held['id']}/dismiss", json={"reason": "test order"}
    )

    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert r.json()["reason"] == "test order"
    again = await tenant.post(f"/api/v1/channel-pushes/{held['id']}/retry")
    assert again.status_code == 409


async def test_a_paused_connection_holds_what_it_receives_and_refuses_retries(
    client, db, tenant, sink
):
    await add_location(db, tenant.merchant_id, "OL-SH-001")
    await add_skus(db, tenant.merchant_id, ["BURGER-01-L", "COLA-01"])
    connection = await connect(tenant, active=False)

    r = await push_meituan(client, connection, meituan_new_order())

    assert r.json() == {"data": "ok"} and sink.calls == []
    (held,) = await pushes(tenant, status="held")
    assert held["external_id"] == ORDER_ID and "paused" in held["reason"]
    refused = await tenant.post(f"/api/v1/channel-pushes/{held['id']}/retry")
    assert refused.status_code == 409 and refused.json()["code"] == "connection_inactive"

    await tenant.patch(f"/api/v1/channel-connections/{connection['id']}", json={"active": True})
    resumed = await tenant.post(f"/api/v1/channel-pushes/{held['id']}/retry")
    assert resumed.json()["status"] == "accepted"


async def test_the_queue_pages_newest_first_and_filters(client, tenant, sink):
    connection = await connect(tenant)
    for n in range(3):
        await push_meituan(client, connection, meituan_new_order(order_id=f"9{n}"))
    first = (await tenant.get("/api/v1/channel-pushes", params={"limit": 2})).json()
    second = (
        await tenant.get(
            "/api/v1/channel-pushes", params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    ids = [p["external_id"] for p in first["items"] + second["items"]]
    assert ids == ["92", "91", "90"] and second["next_cursor"] is None
    assert [p["external_id"] for p in await pushes(tenant, external_id="91")] == ["91"]
    assert await pushes(tenant, kind="cancel") == []


async def test_placing_a_held_order_settles_its_other_held_copies_as_duplicates(
    client, db, tenant, sink
):
    await add_skus(db, tenant.merchant_id, ["BURGER-01-L", "COLA-01"])
    connection = await connect(tenant)
    await push_meituan(client, connection, meituan_new_order(status="2"))
    await push_meituan(client, connection, meituan_new_order(status="4"))  # "confirmed"
    confirmed, new = await pushes(tenant, status="held")
    await add_location(db, tenant.merchant_id, "OL-SH-001")

    retried = await tenant.post(f"/api/v1/channel-pushes/{new['id']}/retry")

    assert retried.json()["status"] == "accepted"
    assert await pushes(tenant, status="held") == []
    (copy,) = await pushes(tenant, status="duplicate")
    assert copy["id"] == confirmed["id"] and copy["order_id"] == retried.json()["order_id"]
    assert len(sink.placed(tenant.merchant_id)) == 1
