"""Accepting or cancelling a platform order tells the platform, durably and exactly once."""

from sqlalchemy import select

from omniloop.channels.models import PlatformNotification
from omniloop.channels.notifications import send_due_notifications
from omniloop.webhooks.service import fan_out_events
from tests.api.channels.conftest import burger_shop, connect, push_meituan
from tests.integration.channels.test_outbound_calls import fake_meituan, http, platform
from tests.unit.channels.vectors import meituan_new_order

__all__ = ["http", "platform"]


async def _notes(db, tenant):
    async with db.uow().read_only() as uow:
        return list(
            await uow.session.scalars(
                select(PlatformNotification).where(
                    PlatformNotification.merchant_id == tenant.merchant_id
                )
            )
        )


async def test_accepting_a_meituan_order_confirms_it_on_the_platform(
    platform, http, client, db, tenant
):
    seen: list[dict[str, str]] = []
    fake_meituan(platform, seen, {"data": "ok"})
    await burger_shop(db, tenant)
    for sku in ("BURGER-01-L", "COLA-01"):
        await tenant.put(f"/api/v1/inventory/OL-SH-001/{sku}", json={"on_hand": 5})
    connection = await connect(tenant, app_id="5123", api_base_url=platform.url_for("/"))
    assert (await push_meituan(client, connection, meituan_new_order())).json() == {"data": "ok"}
    (order,) = (await tenant.get("/api/v1/orders")).json()["items"]

    r = await tenant.post(f"/api/v1/orders/{order['id']}/transitions", json={"action": "accept"})
    assert r.status_code == 200, r.text
    await fan_out_events(db=db)
    await fan_out_events(db=db)
    (note,) = await _notes(db, tenant)
    assert (note.action, note.status) == ("confirm", "pending")

    await send_due_notifications(db=db, http=http)
    await send_due_notifications(db=db, http=http)
    assert [s["order_id"] for s in seen] == [order["external_id"]], "called exactly once"
    (note,) = await _notes(db, tenant)
    assert (note.status, note.attempts) == ("sent", 1)


async def test_a_cancel_that_came_from_the_platform_is_not_echoed_back(client, db, tenant):
    await burger_shop(db, tenant)
    for sku in ("BURGER-01-L", "COLA-01"):
        await tenant.put(f"/api/v1/inventory/OL-SH-001/{sku}", json={"on_hand": 5})
    connection = await connect(tenant, app_id="5123")
    await push_meituan(client, connection, meituan_new_order())
    cancel = {"app_id": "5123", "timestamp": "1718000100", "order_id": "27011234567890123",
              "reason_code": "1001", "reason": "用户取消"}  # fmt: skip
    assert (await push_meituan(client, connection, cancel)).json() == {"data": "ok"}
    await fan_out_events(db=db)
    assert await _notes(db, tenant) == []
