from datetime import UTC, datetime
from decimal import Decimal

import pytest

from omniloop.channels import meituan
from omniloop.channels.domain import (
    UNITEMISED_DISCOUNT,
    Cancellation,
    DeliveryState,
    DeliveryUpdate,
    FeeKind,
    MappedOrder,
    NewOrder,
    PushInvalid,
    PushKind,
    RefundNotice,
    RefundStage,
    StatusReport,
)
from omniloop.channels.mapping import map_order
from tests.unit.channels.vectors import meituan_new_order


def _mapped(fields: dict[str, str]) -> MappedOrder:
    parsed = meituan.parse(fields)
    assert isinstance(parsed, NewOrder)
    mapped = map_order(
        parsed.order,
        order_channel="meituan",
        store_map={},
        sku_map={},
        known_locations={"OL-SH-001"},
        known_skus={"BURGER-01-L", "COLA-01"},
    )
    assert isinstance(mapped, MappedOrder)
    return mapped


def test_the_channels_md_vector_becomes_an_order_whose_fen_totals_reconcile_exactly():
    order = _mapped(meituan_new_order())

    assert (order.channel, order.external_id, order.location_code) == (
        "meituan",
        "27011234567890123",
        "OL-SH-001",
    )
    assert [(line.sku, line.qty, line.unit_price, line.name) for line in order.lines] == [
        ("BURGER-01-L", 2, 2550, "经典牛肉堡"),
        ("COLA-01", 1, 600, "可乐"),
    ]
    assert order.subtotal == 5700
    assert order.fee(FeeKind.BOX) == 200
    assert order.fee(FeeKind.SHIPPING) == 400
    assert order.original_total == 6300
    assert [(d.amount, d.remark, d.type) for d in order.discounts] == [(500, "满50减5", "2")]
    assert order.total == 5800 == order.original_total - order.discount_total
    assert order.currency == "CNY" and order.prepaid and order.fulfillment == "delivery"


def test_the_vector_keeps_the_customer_privacy_number_and_the_platform_ids():
    order = _mapped(meituan_new_order())
    assert (order.customer.name, order.customer.salutation) == ("张", "先生")
    assert order.customer.phone == "13812345678_1234" and order.customer.is_privacy_number
    assert order.address.text == "上海市黄浦区人民大道200号 (1号楼1201)"
    assert (order.address.lat, order.address.lng) == (31.230416, 121.473701)
    assert order.note == "少放辣，不要香菜"
    assert order.placed_at == datetime.fromtimestamp(1717999950, UTC)
    assert order.requested_time is None
    assert order.platform_ids["wm_order_id_view"] == "27011234567890123"
    assert order.platform_ids["day_seq"] == "12"
    assert order.lines[0].spec == "大份" and order.lines[0].note == "不要洋葱"
    assert order.lines[0].platform_code == "BURGER-01-L"


def test_a_geocoded_suffix_is_split_from_the_typed_address():
    order = _mapped(meituan_new_order(recipient_address="人民大道200号@#上海市黄浦区人民大道200号"))
    assert order.address.text == "人民大道200号"
    assert order.address.geocoded == "上海市黄浦区人民大道200号"


def test_a_scheduled_delivery_time_and_cash_on_delivery_are_kept():
    order = _mapped(meituan_new_order(delivery_time="1718003600", pay_type="1"))
    assert order.requested_time == datetime.fromtimestamp(1718003600, UTC)
    assert not order.prepaid


def test_a_discount_the_platform_does_not_itemise_becomes_a_discount_line():
    order = _mapped(meituan_new_order(total="55.5"))
    assert [(d.amount, d.remark) for d in order.discounts] == [
        (500, "满50减5"),
        (250, UNITEMISED_DISCOUNT),
    ]
    assert order.original_total - order.discount_total == order.total == 5550


def test_a_customer_paying_more_than_the_order_adds_up_to_is_not_explained_away():
    with pytest.raises(PushInvalid, match="paid 6000 fen") as caught:
        meituan.parse(meituan_new_order(total="60.00"))
    assert caught.value.kind is PushKind.NEW_ORDER
    assert caught.value.external_id == "27011234567890123"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"total": "58.001"}, "more than 2 decimals"),
        ({"detail": "not json"}, "detail is not JSON"),
        ({"detail": "[]"}, "detail has no items"),
        ({"detail": '[{"quantity": 0, "price": 1}]'}, "quantity"),
        ({"ctime": ""}, "ctime is missing"),
        ({"latitude": "931.2"}, "not a coordinate"),
    ],
)
def test_unreadable_orders_say_why(overrides, message):
    with pytest.raises(PushInvalid, match=message):
        meituan.parse(meituan_new_order(**overrides))


def test_the_kind_is_recognised_from_the_fields():
    system = {"app_id": "1", "timestamp": "1"}
    assert meituan.kind_of(meituan_new_order()) is PushKind.NEW_ORDER
    assert meituan.kind_of({**system, "order_id": "1", "notify_type": "apply"}) is PushKind.REFUND
    assert meituan.kind_of({**system, "order_id": "1", "reason_code": "1"}) is PushKind.CANCEL
    assert meituan.kind_of({**system, "order_id": "1", "logistics_status": "20"}) is (
        PushKind.DELIVERY_STATUS
    )
    assert meituan.kind_of({**system, "order_id": "1", "status": "8"}) is PushKind.STATUS
    assert meituan.kind_of(system) is PushKind.HEARTBEAT
    assert meituan.kind_of({**system, "poi_status": "1"}) is PushKind.UNKNOWN


def test_cancel_refund_and_delivery_pushes_are_parsed():
    system = {"app_id": "5123", "timestamp": "1718000100"}
    cancel = meituan.parse({**system, "order_id": "27011", "reason_code": "1001", "reason": "超时"})
    assert cancel == Cancellation("27011", reason="超时", reason_code="1001")

    refund = meituan.parse({**system, "order_id": "27011", "notify_type": "agree", "reason": ""})
    assert isinstance(refund, RefundNotice)
    assert (refund.stage, refund.amount) == (RefundStage.AGREE, None)
    partial = meituan.parse(
        {**system, "order_id": "27011", "notify_type": "apply", "reason": "少送", "money": "6.5"}
    )
    assert isinstance(partial, RefundNotice) and partial.amount == 650

    delivery = meituan.parse(
        {
            **system,
            "order_id": "27011",
            "logistics_status": "20",
            "dispatcher_name": "王师傅",
            "dispatcher_mobile": "13900000000",
            "time": "1718000200",
        }
    )
    assert delivery == DeliveryUpdate(
        "27011", DeliveryState.PICKED_UP, "20", courier_name="王师傅", courier_phone="13900000000"
    )
    assert meituan.parse({**system, "order_id": "27011", "status": "8"}) == StatusReport(
        "27011", "8"
    )


def test_a_refund_with_an_unknown_notify_type_is_unreadable():
    with pytest.raises(PushInvalid, match="notify_type") as caught:
        meituan.parse({"order_id": "27011", "notify_type": "maybe"})
    assert (caught.value.kind, caught.value.external_id) == (PushKind.REFUND, "27011")


def test_json_values_that_are_still_url_encoded_are_decoded_once_more():
    from urllib.parse import quote_plus

    fields = meituan_new_order(detail=quote_plus(meituan_new_order()["detail"]))
    assert meituan.json_field(fields, "detail")[0]["price"] == Decimal("25.5")
