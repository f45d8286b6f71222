"""Voucher errors::

    NotFound  404  voucher_product_not_found
    NotFound  404  voucher_not_found
    NotFound  404  invalid_code               no voucher has that code (a wrong code)
    AlreadyExists  409  already_exists        the SKU already has a voucher product
    Conflict  409  VoucherRefused: the voucher cannot be redeemed as asked
              ├── voucher_void                refunded: the voucher is void
              ├── code_already_used           redeemed in full already
              ├── voucher_expired             past its valid_until
              ├── voucher_not_valid_here      not one of its stores (``locations``)
              ├── partial_redemption_not_allowed   a set meal, or a voucher redeemed whole
              └── voucher_balance_exceeded    more than the balance left
    Conflict  409  voucher_redeemed           a refund asks back vouchers already used
              └── voucher_non_refundable      ... or vouchers its product made non-refundable

Bad product terms answer ``ValidationFailed`` (422) with the field at fault.
"""

from __future__ import annotations

import uuid
from typing import Any

from omniloop.errors import AlreadyExists, Conflict, NotFound
from omniloop.vouchers.domain import Refusal


class VoucherProductNotFound(NotFound):
    code, title = "voucher_product_not_found", "Voucher product not found"


class VoucherNotFound(NotFound):
    code, title = "voucher_not_found", "Voucher not found"


class UnknownVoucherCode(NotFound):
    code, title = "invalid_code", "Invalid code"


class VoucherProductExists(AlreadyExists):
    title = "The SKU already has a voucher product"


class VoucherRefused(Conflict):
    """A voucher that cannot be redeemed as asked (one subclass per :class:`Refusal`);
    ``order_id`` is the order it was sold on, for the attempt log (not shown)."""

    def __init__(self, detail: str, *, order_id: uuid.UUID | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.order_id = order_id


class VoucherVoid(VoucherRefused):
    code, title = "voucher_void", "Voucher is void"


class VoucherUsedUp(VoucherRefused):
    code, title = "code_already_used", "Code already used"


class VoucherExpired(VoucherRefused):
    code, title = "voucher_expired", "Voucher expired"


class VoucherNotValidHere(VoucherRefused):
    code, title = "voucher_not_valid_here", "Voucher not valid at this location"


class PartialRedemptionNotAllowed(VoucherRefused):
    code, title = "partial_redemption_not_allowed", "Voucher is redeemed whole"


class VoucherBalanceExceeded(VoucherRefused):
    code, title = "voucher_balance_exceeded", "More than the voucher's balance"


REFUSALS: dict[Refusal, type[VoucherRefused]] = {
    Refusal.VOID: VoucherVoid,
    Refusal.USED_UP: VoucherUsedUp,
    Refusal.EXPIRED: VoucherExpired,
    Refusal.NOT_VALID_HERE: VoucherNotValidHere,
    Refusal.WHOLE_ONLY: PartialRedemptionNotAllowed,
    Refusal.OVER_BALANCE: VoucherBalanceExceeded,
}


class VoucherRedeemed(Conflict):
    """A refund of voucher units that cannot be taken back."""

    code, title = "voucher_redeemed", "Voucher already redeemed"


class VoucherNonRefundable(VoucherRedeemed):
    code, title = "voucher_non_refundable", "Voucher is not refundable"
