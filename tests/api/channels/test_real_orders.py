"""Platform pushes end to end: the real orders sink, real stock, the one store queue."""

from omniloop.inventory.check import check_stock
from tests.api.channels.conftest import burger_shop, connect, push_meituan
from tests.unit.channels.vectors import meituan_new_order

ORDER_ID = "27011234567890123"


async def _stocked_shop(db, tenant):
    await burger_shop(db, tenant)
    for sku in ("BURGER-01-L", "COLA-01"):
        r = await tenant.put(f"/api/v1/inventory/OL-SH-001/{sku}", json={"on_hand": 10})
        assert r.status_code == 200


async def test_a_meituan_order_lands_paid_in_the_store_queue_with_reconciled_totals(
    client, db, tenant
):
    await _stocked_shop(db, tenant)
    connection = await connect(tenant, app_id="5123")
    r = await push_meituan(client, connection, meituan_new_order())
    assert r.json() == {"data": "ok"}, r.text

    (order,) = (await tenant.get("/api/v1/orders?channel=meituan")).json()["items"]
    assert (order["external_id"], order["status"], order["location"]) == (
        ORDER_ID,
        "paid",
        "OL-SH-001",
    )
    assert (order["subtotal"], order["fee_total"], order["discount_total"], order["total"]) == (
        5700,
        600,
        500,
        5800,
    )
    assert order["paid_total"] == 5800
    assert order["customer"]["phone"] == "13812345678_1234"
    burger = (await tenant.get("/api/v1/inventory/OL-SH-001/BURGER-01-L")).json()
    assert (burger["on_hand"], burger["reserved"]) == (8, 0)

    again = await push_meituan(client, connection, meituan_new_order(status="4"))
    assert again.json() == {"data": "ok"}
    assert len((await tenant.get("/api/v1/orders")).json()["items"]) == 1
    burger = (await tenant.get("/api/v1/inventory/OL-SH-001/BURGER-01-L")).json()
    assert burger["on_hand"] == 8, "a repeated push never sells twice"
    assert (await check_stock(uow=db.uow(), merchant_id=tenant.merchant_id))[1] == []


async def test_a_platform_cancel_cancels_the_order_and_returns_its_stock(client, db, tenant):
    await _stocked_shop(db, tenant)
    connection = await connect(tenant, app_id="5123")
    await push_meituan(client, connection, meituan_new_order())
    cancel = {
        "app_id": "5123",
        "timestamp": "1718000100",
        "order_id": ORDER_ID,
        "reason_code": "1001",
        "reason": "用户取消",
    }
    r = await push_meituan(client, connection, cancel)
    assert r.json() == {"data": "ok"}, r.text
    (order,) = (await tenant.get("/api/v1/orders")).json()["items"]
    assert order["status"] == "cancelled"
    burger = (await tenant.get("/api/v1/inventory/OL-SH-001/BURGER-01-L")).json()
    assert burger["on_hand"] == 10
