"""Order errors."""

from omniloop.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    title = "Order not found"


class InvalidTransition(Conflict):
    code, title = "invalid_transition", "Transition not allowed"


class OrderNotPayable(Conflict):
    code, title = "order_not_payable", "Order cannot be paid"


class RefundRefused(Conflict):
    code, title = "refund_exceeds_paid", "Refund exceeds what was paid"


class CouponRejected(Conflict):
    code, title = "coupon_rejected", "A coupon cannot be used on this order"
