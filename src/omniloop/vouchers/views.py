"""How vouchers and voucher products are shown, from rows already loaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from omniloop.vouchers.domain import (
    RefundPolicy,
    VoucherKind,
    VoucherState,
    masked,
    qr_payload,
    status,
)
from omniloop.vouchers.models import Voucher, VoucherProduct
from omniloop.vouchers.schemas import (
    ItemOut,
    ValidityOut,
    VoucherOut,
    VoucherProductOut,
)


def state_of(voucher: Voucher) -> VoucherState:
    return VoucherState(
        kind=VoucherKind(voucher.kind),
        face_value=voucher.face_value,
        balance=voucher.balance,
        valid_until=voucher.valid_until,
        partial_redemption=voucher.partial_redemption,
        locations=tuple(voucher.locations or ()),
        refund_policy=RefundPolicy(voucher.refund_policy),
        void=voucher.voided_at is not None,
    )


def voucher_out(voucher: Voucher, *, code: str | None, now: datetime) -> VoucherOut:
    """The voucher with its ``code`` (None when the caller may not see it)."""
    return VoucherOut(
        id=voucher.id,
        code=code,
        code_masked=masked(voucher.code_last4),
        qr_payload=qr_payload(code) if code is not None else None,
        status=status(state_of(voucher), now=now),
        product_id=voucher.product_id,
        order_id=voucher.order_id,
        sku=voucher.sku,
        unit_no=voucher.unit_no,
        member_id=voucher.member_id,
        name=voucher.name,
        kind=VoucherKind(voucher.kind),
        currency=voucher.currency,
        face_value=voucher.face_value,
        balance=voucher.balance,
        paid_amount=voucher.paid_amount,
        items=[ItemOut(**item) for item in voucher.items or []],
        partial_redemption=voucher.partial_redemption,
        locations=list(voucher.locations or []),
        refund_policy=RefundPolicy(voucher.refund_policy),
        campaign_id=voucher.campaign_id,
        valid_until=voucher.valid_until,
        issued_at=voucher.issued_at,
        voided_at=voucher.voided_at,
        void_reason=voucher.void_reason,
    )


def redact(view: dict[str, Any], *, may_see_codes: bool) -> dict[str, Any]:
    """A voucher view (or a redemption answer holding one) without its code, unless the
    caller may see codes (the order's customer, owners, integrators)."""
    if may_see_codes:
        return view
    if "voucher" in view:
        return {**view, "voucher": redact(view["voucher"], may_see_codes=False)}
    return {**view, "code": None, "qr_payload": None}


def product_out(product: VoucherProduct, *, price: int | None) -> VoucherProductOut:
    return VoucherProductOut(
        id=product.id,
        sku=product.sku,
        name=product.name,
        kind=VoucherKind(product.kind),
        price=price,
        currency=product.currency,
        face_value=product.face_value,
        items=[ItemOut(**item) for item in product.items or []],
        validity=ValidityOut(days_after_purchase=product.validity_days, until=product.valid_until),
        partial_redemption=product.partial_redemption,
        locations=list(product.locations or []),
        refund_policy=RefundPolicy(product.refund_policy),
        campaign_id=product.campaign_id,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )
