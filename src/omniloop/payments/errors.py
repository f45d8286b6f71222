"""Payment errors (leaves of :mod:`omniloop.errors`)::

ValidationFailed  422  UnknownProvider         unknown_provider
Unauthorized      401  InvalidCallback         invalid_callback_signature
NotFound          404  PaymentNotFound         not_found
Conflict          409  PaymentNotAllowed       payment_not_allowed
                  409  PaymentAlreadyDecided   payment_already_decided
                  409  NothingToRefund         no_refundable_payment
OmniloopError     502  ProviderRefused         provider_refused
"""

from omniloop.errors import Conflict, NotFound, OmniloopError, Unauthorized, ValidationFailed


class UnknownProvider(ValidationFailed):
    code, title = "unknown_provider", "Unknown payment provider"


class InvalidCallback(Unauthorized):
    code, title = "invalid_callback_signature", "Callback signature is not valid"


class PaymentNotFound(NotFound):
    title = "Payment not found"


class PaymentNotAllowed(Conflict):
    code, title = "payment_not_allowed", "Order cannot take a payment"


class PaymentAlreadyDecided(Conflict):
    code, title = "payment_already_decided", "Payment outcome already recorded"


class NothingToRefund(Conflict):
    code, title = "no_refundable_payment", "No succeeded payment to refund"


class ProviderRefused(OmniloopError):
    code, status, title = "provider_refused", 502, "Payment provider refused"
