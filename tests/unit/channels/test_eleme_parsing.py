import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from omniloop.channels import eleme
from omniloop.channels.domain import (
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
    Unrecognised,
)
from omniloop.channels.mapping import map_order
from omniloop.channels.signatures import eleme_verifies
from tests.unit.channels.vectors import (
    ELEME_SECRET,
    ELEME_USER_ID,
    eleme_body,
    eleme_order_message,
)


def _envelope(push_type: int, message: dict) -> dict[str, str]:
    return eleme.load_envelope(eleme_body(push_type, message))


def test_the_envelope_keeps_big_integers_exact_and_its_signature_verifies():
    envelope = _envelope(10, eleme_order_message())
    assert envelope["userId"] == ELEME_USER_ID
    assert int(ELEME_USER_ID) > 2**53
    assert envelope["type"] == "10"
    assert eleme_verifies(envelope, ELEME_SECRET)
    assert not eleme_verifies({**envelope, "shopId": "1"}, ELEME_SECRET)
    assert not eleme_verifies(envelope, "another-secret")


def test_a_float_user_id_would_lose_digits_which_is_why_the_wire_text_is_kept():
    assert str(int(float(ELEME_USER_ID))) != ELEME_USER_ID


def test_a_new_order_message_becomes_an_order_whose_totals_reconcile():
    parsed = eleme.parse(_envelope(10, eleme_order_message()))
    assert isinstance(parsed, NewOrder)
    order = parsed.order
    assert order.external_id == "3014728511382982849"
    assert order.store_codes == ("OL-NC-001", "156898280")
    assert [(i.codes, i.qty, i.unit_price) for i in order.items] == [
        (("SAUSAGE", "200000100943422213"), 2, 500),
        (("200000090398379781",), 1, 1400),
    ]
    assert order.items[1].spec == "大杯" and order.items[1].note == "热"
    assert [(f.kind, f.amount) for f in order.fees] == [(FeeKind.SHIPPING, 300)]
    assert [(d.amount, d.remark) for d in order.discounts] == [(1000, "在线支付立减优惠")]
    assert order.total == 1700
    assert (order.customer.name, order.customer.salutation) == ("马成鹏", "先生")
    assert order.customer.phone == "15079241539,1234" and order.customer.is_privacy_number
    assert (order.address.lat, order.address.lng) == (29.22636934, 115.80731995)
    assert order.note == "多加冰"
    assert order.placed_at == datetime(2024, 6, 10, 12, 8, 7, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert order.requested_time is None
    assert order.platform_ids["daySn"] == "6"


def test_items_map_by_extend_code_or_sku_id():
    parsed = eleme.parse(_envelope(10, eleme_order_message()))
    assert isinstance(parsed, NewOrder)
    mapped = map_order(
        parsed.order,
        order_channel="eleme",
        store_map={},
        sku_map={"200000090398379781": "TEA-HOT-L"},
        known_locations={"OL-NC-001"},
        known_skus={"SAUSAGE", "TEA-HOT-L"},
    )
    assert isinstance(mapped, MappedOrder)
    assert [line.sku for line in mapped.lines] == ["SAUSAGE", "TEA-HOT-L"]
    assert mapped.subtotal + mapped.fee_total - mapped.discount_total == mapped.total == 1700


def test_package_fees_and_a_scheduled_time_are_kept():
    message = eleme_order_message(
        packageFee=2.0, totalPrice=19.0, deliverTime="2024-06-10T13:00:00"
    )
    parsed = eleme.parse(_envelope(10, message))
    assert isinstance(parsed, NewOrder)
    assert [(f.kind, f.amount) for f in parsed.order.fees] == [
        (FeeKind.PACKAGE, 200),
        (FeeKind.SHIPPING, 300),
    ]
    assert parsed.order.requested_time == datetime(
        2024, 6, 10, 13, 0, tzinfo=ZoneInfo("Asia/Shanghai")
    )


@pytest.mark.parametrize("push_type", [14, 15, 17, 23, 25])
def test_cancel_types_cancel(push_type):
    parsed = eleme.parse(_envelope(push_type, {"orderId": "3014", "shopId": 1}))
    assert isinstance(parsed, Cancellation) and parsed.external_id == "3014"
    assert parsed.reason_code == str(push_type)


@pytest.mark.parametrize(
    ("push_type", "stage"),
    [
        (30, RefundStage.APPLY),
        (31, RefundStage.CANCEL_REFUND),
        (32, RefundStage.REJECT),
        (33, RefundStage.AGREE),
        (35, RefundStage.AGREE),
        (36, RefundStage.REJECT),
    ],
)
def test_the_refund_flow_maps_to_refund_stages(push_type, stage):
    parsed = eleme.parse(_envelope(push_type, {"orderId": "3014", "totalPrice": 5.5}))
    assert parsed == RefundNotice("3014", stage, parsed.reason, amount=550)


def test_delivery_messages_become_delivery_updates():
    message = {
        "orderId": "1213078763526670502",
        "state": "delivering",
        "name": "穆振绍",
        "phone": "15065568965",
        "updateAt": 1509495770000,
    }
    parsed = eleme.parse(_envelope(55, message))
    assert parsed == DeliveryUpdate(
        "1213078763526670502", DeliveryState.PICKED_UP, "delivering", "穆振绍", "15065568965"
    )


def test_status_reports_and_unknown_types_are_recognised_but_not_acted_on():
    assert eleme.parse(_envelope(12, {"orderId": "3014"})) == StatusReport("3014", "accepted")
    assert eleme.parse(_envelope(18, {"orderId": "3014"})) == StatusReport("3014", "completed")
    assert eleme.parse(_envelope(20, {"orderId": "3014"})) == StatusReport(
        "3014", "cancel_requested"
    )
    unknown = eleme.parse(_envelope(91, {"shopId": 1}))
    assert isinstance(unknown, Unrecognised)
    assert eleme.kind_of(_envelope(45, {})) is PushKind.UNKNOWN


def test_a_message_that_is_not_json_is_unreadable():
    envelope = {**_envelope(10, {}), "message": "{not json"}
    with pytest.raises(PushInvalid, match="message is not JSON"):
        eleme.parse(envelope)


def test_a_body_that_is_not_an_envelope_is_malformed():
    with pytest.raises(eleme.MalformedEnvelope):
        eleme.load_envelope(b"[1, 2]")
    with pytest.raises(eleme.MalformedEnvelope):
        eleme.load_envelope(b"\xff")
    assert json.loads(eleme_body(10, {}))["userId"] == int(ELEME_USER_ID)
