"""Use cases: define voucher products, list and show vouchers.

Issuing, voiding and the order-side questions are in :mod:`omniloop.vouchers.issuing`;
redemption at a store in :mod:`omniloop.vouchers.redemption`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.catalog.models import Sku
from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import ValidationFailed
from omniloop.inventory.errors import unknown_location, unknown_skus
from omniloop.locations.models import Location
from omniloop.merchants.secrets import existing_merchant_secret
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id
from omniloop.shared.pagination import decode_time_key, encode_time_key
from omniloop.vouchers.domain import (
    SECRET_PURPOSE,
    InvalidTerms,
    Item,
    RefundPolicy,
    Terms,
    VoucherKind,
    VoucherStatus,
    check_terms,
    unseal,
)
from omniloop.vouchers.errors import (
    VoucherNotFound,
    VoucherProductExists,
    VoucherProductNotFound,
)
from omniloop.vouchers.models import Voucher, VoucherProduct, VoucherRedemption
from omniloop.vouchers.schemas import (
    RedemptionEntryOut,
    VoucherDetailOut,
    VoucherOut,
    VoucherProductIn,
    VoucherProductOut,
    VoucherProductPatch,
)
from omniloop.vouchers.views import product_out, voucher_out

T = TypeVar("T")

# --------------------------------------------------------------------------- products


def terms_of(product: VoucherProduct) -> Terms:
    return Terms(
        kind=VoucherKind(product.kind),
        face_value=product.face_value,
        validity_days=product.validity_days,
        valid_until=product.valid_until,
        items=tuple(Item(i["sku"], int(i["qty"])) for i in product.items or []),
        partial_redemption=product.partial_redemption,
        locations=tuple(product.locations or []),
        refund_policy=RefundPolicy(product.refund_policy),
    )


def _apply_terms(product: VoucherProduct, terms: Terms) -> None:
    product.kind = terms.kind.value
    product.face_value = terms.face_value
    product.validity_days = terms.validity_days
    product.valid_until = terms.valid_until
    product.items = [{"sku": i.sku, "qty": i.qty} for i in terms.items]
    product.partial_redemption = terms.partial_redemption
    product.locations = list(terms.locations)
    product.refund_policy = terms.refund_policy.value


def _or(value: T | None, default: T) -> T:
    """PATCH: a field left out (None) keeps its value."""
    return default if value is None else value


async def _check_references(session: AsyncSession, merchant_id: uuid.UUID, terms: Terms) -> None:
    """Items must be catalog SKUs and locations the merchant's stores (422 otherwise)."""
    item_skus = sorted({i.sku for i in terms.items})
    if item_skus:
        found = set(
            await session.scalars(
                select(Sku.sku).where(Sku.merchant_id == merchant_id, Sku.sku.in_(item_skus))
            )
        )
        missing = [s for s in item_skus if s not in found]
        if missing:
            raise unknown_skus(missing)
    codes = sorted(set(terms.locations))
    if codes:
        found = set(
            await session.scalars(
                select(Location.code).where(
                    Location.merchant_id == merchant_id, Location.code.in_(codes)
                )
            )
        )
        for code in codes:
            if code not in found:
                raise unknown_location(code)


def _checked(terms: Terms, *, sku: str, now: datetime) -> Terms:
    try:
        check_terms(terms, sku=sku, now=now)
    except InvalidTerms as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None
    return terms


async def _sku(session: AsyncSession, merchant_id: uuid.UUID, sku: str) -> Sku | None:
    return await session.scalar(select(Sku).where(Sku.merchant_id == merchant_id, Sku.sku == sku))


async def create_product(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, spec: VoucherProductIn, actor: str
) -> VoucherProductOut:
    """Make a catalog SKU a voucher product (one per SKU)."""
    now = utcnow()
    async with uow:
        session = uow.session
        sku = await _sku(session, merchant_id, spec.sku)
        if sku is None:
            raise unknown_skus([spec.sku])
        if await session.scalar(
            select(VoucherProduct.id).where(
                VoucherProduct.merchant_id == merchant_id, VoucherProduct.sku == spec.sku
            )
        ):
            raise VoucherProductExists(f"SKU {spec.sku} already has a voucher product")
        terms = _checked(
            Terms(
                kind=spec.kind,
                face_value=spec.face_value if spec.face_value is not None else sku.price,
                validity_days=spec.validity.days_after_purchase,
                valid_until=spec.validity.until,
                items=tuple(Item(i.sku, i.qty) for i in spec.items),
                partial_redemption=spec.partial_redemption,
                locations=tuple(spec.locations),
                refund_policy=spec.refund_policy,
            ),
            sku=spec.sku,
            now=now,
        )
        await _check_references(session, merchant_id, terms)
        product = VoucherProduct(
            id=new_id(),
            merchant_id=merchant_id,
            sku=spec.sku,
            name=spec.name or sku.name,
            currency=sku.currency,
            campaign_id=spec.campaign_id,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        _apply_terms(product, terms)
        session.add(product)
        try:
            await uow.commit()
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            raise VoucherProductExists(f"SKU {spec.sku} already has a voucher product") from None
        return product_out(product, price=sku.price)


async def _load_product(
    session: AsyncSession, merchant_id: uuid.UUID, product_id: uuid.UUID, *, lock: bool = False
) -> VoucherProduct:
    query = select(VoucherProduct).where(
        VoucherProduct.merchant_id == merchant_id, VoucherProduct.id == product_id
    )
    if lock:
        query = query.with_for_update()
    product = await session.scalar(query.execution_options(populate_existing=True))
    if product is None:
        raise VoucherProductNotFound(f"no voucher product {product_id}")
    return product


async def get_product(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, product_id: uuid.UUID
) -> VoucherProductOut:
    """One voucher product with its SKU's current price."""
    async with uow.read_only():
        product = await _load_product(uow.session, merchant_id, product_id)
        sku = await _sku(uow.session, merchant_id, product.sku)
        return product_out(product, price=sku.price if sku else None)


async def list_products(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[VoucherProductOut], str | None]:
    """The merchant's voucher products, oldest first, a page at a time."""
    after = decode_time_key(cursor)
    query = (
        select(VoucherProduct, Sku.price)
        .outerjoin(
            Sku, and_(Sku.merchant_id == VoucherProduct.merchant_id, Sku.sku == VoucherProduct.sku)
        )
        .where(VoucherProduct.merchant_id == merchant_id)
        .order_by(VoucherProduct.created_at, VoucherProduct.id)
        .limit(limit + 1)
    )
    if after is not None:
        created_at, row_id = after
        query = query.where(
            or_(
                VoucherProduct.created_at > created_at,
                and_(VoucherProduct.created_at == created_at, VoucherProduct.id > row_id),
            )
        )
    async with uow.read_only():
        rows = (await uow.session.execute(query)).all()
    page = rows[:limit]
    next_cursor = (
        encode_time_key(page[-1][0].created_at, page[-1][0].id) if len(rows) > limit else None
    )
    return [product_out(p, price=price) for p, price in page], next_cursor


async def update_product(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    product_id: uuid.UUID,
    patch: VoucherProductPatch,
) -> VoucherProductOut:
    """Change a product's terms; vouchers already sold keep theirs."""
    now = utcnow()
    async with uow:
        session = uow.session
        product = await _load_product(session, merchant_id, product_id, lock=True)
        fields = patch.model_fields_set
        old = terms_of(product)
        validity = patch.validity
        terms = Terms(
            kind=old.kind,
            face_value=_or(patch.face_value, old.face_value),
            validity_days=validity.days_after_purchase if validity else old.validity_days,
            valid_until=validity.until if validity else old.valid_until,
            items=tuple(Item(i.sku, i.qty) for i in patch.items)
            if patch.items is not None
            else old.items,
            partial_redemption=_or(patch.partial_redemption, old.partial_redemption),
            locations=tuple(patch.locations) if patch.locations is not None else old.locations,
            refund_policy=_or(patch.refund_policy, old.refund_policy),
        )
        if terms != old:
            _checked(terms, sku=product.sku, now=now)
            await _check_references(session, merchant_id, terms)
            _apply_terms(product, terms)
        if "name" in fields and patch.name is not None:
            product.name = patch.name
        if "campaign_id" in fields:
            product.campaign_id = patch.campaign_id
        product.updated_at = now
        sku = await _sku(session, merchant_id, product.sku)
        await uow.commit()
        return product_out(product, price=sku.price if sku else None)


# --------------------------------------------------------------------------- vouchers


@dataclass(frozen=True)
class VoucherFilter:
    order_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None
    status: VoucherStatus | None = None


def _status_clause(status: VoucherStatus, now: datetime) -> ColumnElement[bool]:
    """The SQL form of :func:`omniloop.vouchers.domain.status`."""
    live = and_(Voucher.voided_at.is_(None), Voucher.balance > 0)
    if status is VoucherStatus.VOID:
        return Voucher.voided_at.is_not(None)
    if status is VoucherStatus.REDEEMED:
        return and_(Voucher.voided_at.is_(None), Voucher.balance == 0)
    if status is VoucherStatus.EXPIRED:
        return and_(live, Voucher.valid_until <= now)
    usable = and_(live, Voucher.valid_until > now)
    if status is VoucherStatus.PARTIALLY_REDEEMED:
        return and_(usable, Voucher.balance < Voucher.face_value)
    return and_(usable, Voucher.balance == Voucher.face_value)


def _vouchers_query(merchant_id: uuid.UUID, where: VoucherFilter, now: datetime) -> Select[Voucher]:
    query = select(Voucher).where(Voucher.merchant_id == merchant_id)
    if where.order_id is not None:
        query = query.where(Voucher.order_id == where.order_id)
    if where.member_id is not None:
        query = query.where(Voucher.member_id == where.member_id)
    if where.status is not None:
        query = query.where(_status_clause(where.status, now))
    return query


async def _codes(
    session: AsyncSession, merchant_id: uuid.UUID, vouchers: list[Voucher]
) -> dict[uuid.UUID, str]:
    if not vouchers:
        return {}
    secret = await existing_merchant_secret(session, merchant_id, SECRET_PURPOSE)
    if secret is None:
        return {}
    return {v.id: unseal(secret, voucher_id=v.id, sealed=v.code_sealed) for v in vouchers}


async def list_vouchers(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    where: VoucherFilter,
    reveal_codes: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[VoucherOut], str | None]:
    """Vouchers, newest first, a page at a time (codes only when ``reveal_codes``)."""
    now = utcnow()
    after = decode_time_key(cursor)
    query = (
        _vouchers_query(merchant_id, where, now)
        .order_by(Voucher.issued_at.desc(), Voucher.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        issued_at, row_id = after
        query = query.where(
            or_(
                Voucher.issued_at < issued_at,
                and_(Voucher.issued_at == issued_at, Voucher.id < row_id),
            )
        )
    async with uow.read_only():
        rows = list(await uow.session.scalars(query))
        page = rows[:limit]
        codes = await _codes(uow.session, merchant_id, page) if reveal_codes else {}
    next_cursor = encode_time_key(page[-1].issued_at, page[-1].id) if len(rows) > limit else None
    return [voucher_out(v, code=codes.get(v.id), now=now) for v in page], next_cursor


async def get_voucher(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    voucher_id: uuid.UUID,
    member_id: uuid.UUID | None,
    reveal_codes: bool,
) -> VoucherDetailOut:
    """One voucher and its redemptions; ``member_id`` set: only if it is that member's."""
    now = utcnow()
    async with uow.read_only():
        session = uow.session
        voucher = await session.scalar(
            select(Voucher).where(Voucher.merchant_id == merchant_id, Voucher.id == voucher_id)
        )
        if voucher is None or (member_id is not None and voucher.member_id != member_id):
            raise VoucherNotFound(f"no voucher {voucher_id}")
        entries = list(
            await session.scalars(
                select(VoucherRedemption)
                .where(
                    VoucherRedemption.merchant_id == merchant_id,
                    VoucherRedemption.voucher_id == voucher.id,
                )
                .order_by(VoucherRedemption.created_at, VoucherRedemption.id)
            )
        )
        codes = await _codes(session, merchant_id, [voucher]) if reveal_codes else {}
    shown = voucher_out(voucher, code=codes.get(voucher.id), now=now)
    return VoucherDetailOut(
        **shown.model_dump(),
        redemptions=[RedemptionEntryOut.model_validate(e) for e in entries],
    )
