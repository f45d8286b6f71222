import pytest

from omniloop.orders.domain import (
    Action,
    FulfillmentType,
    Internal,
    OrderStatus,
    TransitionRefused,
    after_refund,
    enters_paid,
    next_status,
    refund_for_units,
)

S = OrderStatus


def test_pickup_is_handed_over_by_redemption_not_by_dispatch():
    assert next_status(S.READY, Internal.PICK_UP, fulfillment=FulfillmentType.PICKUP) is S.PICKED_UP
    with pytest.raises(TransitionRefused):
        next_status(S.READY, Action.DISPATCH, fulfillment=FulfillmentType.PICKUP)


def test_a_coded_pickup_cannot_be_completed_without_its_code():
    with pytest.raises(TransitionRefused, match="redeeming"):
        next_status(
            S.READY, Action.COMPLETE, fulfillment=FulfillmentType.PICKUP, has_pickup_code=True
        )
    assert next_status(S.READY, Action.COMPLETE, fulfillment=FulfillmentType.DINE_IN) is S.COMPLETED


def test_nothing_leaves_a_terminal_status():
    for status in (S.COMPLETED, S.CANCELLED, S.REFUNDED):
        for action in Action:
            with pytest.raises(TransitionRefused):
                next_status(status, action, fulfillment=FulfillmentType.DELIVERY)


def test_only_our_own_online_channels_prepay():
    assert not enters_paid("own_app") and not enters_paid("mini_program")
    assert enters_paid("pos") and enters_paid("meituan")


def test_refunds_move_the_status_only_when_they_should():
    assert after_refund(S.COMPLETED, paid=100, refunded=100) is S.REFUNDED
    assert after_refund(S.COMPLETED, paid=100, refunded=30) is S.PARTIALLY_REFUNDED
    assert after_refund(S.PREPARING, paid=100, refunded=30) is S.PREPARING


def test_unit_refunds_add_up_to_the_line_total_exactly():
    parts = [
        refund_for_units(line_total=1000, line_qty=3, already_refunded=i, qty=1) for i in range(3)
    ]
    assert sum(parts) == 1000 and parts == [333, 333, 334]
    with pytest.raises(ValueError):
        refund_for_units(line_total=1000, line_qty=3, already_refunded=3, qty=1)
