"""Fulfilment errors::

    NotFound  404  invalid_code          no redeemable code like this at this location
    Conflict  409  code_already_used     the code was redeemed before
    Conflict  409  not_a_delivery_order  delivery notes exist for delivery orders only
    RateLimited 429 rate_limited         too many wrong codes: the location is cooling down
    ValidationFailed 422 validation_error  not any kind of code (typing slip)

A code for an order that is not ready yet answers orders' 409 ``invalid_transition``.
"""

from __future__ import annotations

from omniloop.errors import Conflict, NotFound, RateLimited


class InvalidCode(NotFound):
    code, title = "invalid_code", "Invalid code"


class CodeAlreadyUsed(Conflict):
    code, title = "code_already_used", "Code already used"


class RedemptionLocked(RateLimited):
    title = "Redemption locked after too many wrong codes"


class NotADeliveryOrder(Conflict):
    code, title = "not_a_delivery_order", "Not a delivery order"
