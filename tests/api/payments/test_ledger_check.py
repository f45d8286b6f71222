import uuid

from sqlalchemy import update

from omniloop.orders.models import Order
from omniloop.payments.check import check_payments
from tests.api.payments.conftest import paid_order


async def test_paid_and_refunded_totals_agree_with_the_payment_rows(app, shop, gateway, db):
    order, _ = await paid_order(app, shop, gateway)
    r = await shop.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"lines": [{"sku": "TEA", "qty": 1}], "reason": "spilled", "restock": True},
    )
    assert r.status_code == 201, r.text
    checked, problems = await check_payments(uow=db.uow(), merchant_id=shop.merchant_id)
    assert (checked, problems) == (1, [])


async def test_an_order_whose_totals_drift_from_its_payments_is_reported(app, shop, gateway, db):
    order, _ = await paid_order(app, shop, gateway)
    async with db.uow() as uow:
        await uow.session.execute(
            update(Order)
            .where(Order.merchant_id == shop.merchant_id, Order.id == uuid.UUID(order["id"]))
            .values(refunded_total=100)
        )
        await uow.commit()
    _, problems = await check_payments(uow=db.uow(), merchant_id=shop.merchant_id)
    assert [(p.field, p.recorded, p.derived) for p in problems] == [("refunded_total", 100, 0)]
