"""Use cases for coupon templates: create, read, list, change.

A template's terms are a promise to everyone holding one of its coupons, so once coupons
exist only its name, description, limits, quota, ``claimable``, campaign and ``active``
change; the rest answers 409 ``coupon_template_in_use`` (make a new template instead).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.events import record_event
from omniloop.promotions.domain import CouponKind
from omniloop.promotions.editing import (
    check_references,
    columns,
    merchant_currency,
    newest_first,
    paged,
    patch_changes,
)
from omniloop.promotions.errors import (
    CouponTemplateInUse,
    CouponTemplateNotFound,
    invalid_terms,
)
from omniloop.promotions.models import CouponTemplate
from omniloop.promotions.rules import TemplateTerms, template_problems
from omniloop.promotions.schemas import CouponTemplateIn, CouponTemplateOut, CouponTemplatePatch
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

TEMPLATE_TERMS = (
    "kind",
    "amount",
    "percent",
    "cap",
    "threshold",
    "sku",
    "currency",
    "starts_at",
    "ends_at",
    "days_after_grant",
    "skus",
    "categories",
    "channels",
    "locations",
    "min_spend",
    "refund_policy",
    "stackable",
)
"""What coupons already given out rely on: fixed once a template has issued any."""

_NULLABLE_TEMPLATE_FIELDS = frozenset(
    {
        "description",
        "amount",
        "percent",
        "cap",
        "threshold",
        "sku",
        "starts_at",
        "ends_at",
        "days_after_grant",
        "per_member_limit",
        "total_quota",
        "campaign_id",
    }
)


def template_out(template: CouponTemplate) -> CouponTemplateOut:
    remaining = None
    if template.total_quota is not None:
        remaining = max(0, template.total_quota - template.issued)
    return CouponTemplateOut.model_validate(
        {**columns(template), "remaining": remaining}, from_attributes=False
    )


def _template_terms(values: dict[str, Any]) -> TemplateTerms:
    return TemplateTerms(
        kind=CouponKind(values["kind"]),
        amount=values.get("amount"),
        percent=values.get("percent"),
        cap=values.get("cap"),
        threshold=values.get("threshold"),
        sku=values.get("sku"),
        starts_at=values.get("starts_at"),
        ends_at=values.get("ends_at"),
        days_after_grant=values.get("days_after_grant"),
    )


async def load_template(
    session: AsyncSession, merchant_id: uuid.UUID, template_id: uuid.UUID, *, lock: bool = False
) -> CouponTemplate:
    """The template, or 404 ``coupon_template_not_found``."""
    query = select(CouponTemplate).where(
        CouponTemplate.merchant_id == merchant_id, CouponTemplate.id == template_id
    )
    if lock:
        query = query.with_for_update()
    template = await session.scalar(query.execution_options(populate_existing=True))
    if template is None:
        raise CouponTemplateNotFound(f"no coupon template {template_id}")
    return template


async def create_template(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, spec: CouponTemplateIn, actor: str
) -> CouponTemplateOut:
    """Create a coupon template (no coupon exists until it is granted or claimed)."""
    values = spec.model_dump()
    problems = template_problems(_template_terms(values))
    if problems:
        raise invalid_terms(problems)
    async with uow:
        session = uow.session
        await check_references(
            session, merchant_id, skus=[*spec.skus, spec.sku], locations=spec.locations
        )
        values["currency"] = spec.currency or await merchant_currency(session, merchant_id)
        now = utcnow()
        template = CouponTemplate(
            id=new_id(),
            merchant_id=merchant_id,
            issued=0,
            created_by=actor,
            created_at=now,
            updated_at=now,
            **values,
        )
        session.add(template)
        await session.flush()
        view = template_out(template)
        record_event(
            session,
            merchant_id=merchant_id,
            type="coupon_template.created",
            data=view.model_dump(mode="json"),
        )
        await uow.commit()
    return view


async def get_template(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, template_id: uuid.UUID
) -> CouponTemplateOut:
    """One coupon template with how many coupons it has given out."""
    async with uow.read_only():
        return template_out(await load_template(uow.session, merchant_id, template_id))


async def list_templates(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    active: bool | None = None,
    campaign_id: uuid.UUID | None = None,
) -> tuple[list[CouponTemplateOut], str | None]:
    """A page of templates, newest first."""
    query = select(CouponTemplate).where(CouponTemplate.merchant_id == merchant_id)
    if active is not None:
        query = query.where(CouponTemplate.active.is_(active))
    if campaign_id is not None:
        query = query.where(CouponTemplate.campaign_id == campaign_id)
    rows = await newest_first(uow, query, CouponTemplate, limit, cursor)
    return paged([template_out(r) for r in rows], rows, limit)


async def update_template(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    template_id: uuid.UUID,
    patch: CouponTemplatePatch,
    actor: str,
) -> CouponTemplateOut:
    """Change a template; its terms only while it has given out no coupon."""
    changes = patch_changes(patch, _NULLABLE_TEMPLATE_FIELDS)
    async with uow:
        session = uow.session
        template = await load_template(session, merchant_id, template_id, lock=True)
        changes = {k: v for k, v in changes.items() if getattr(template, k) != v}
        frozen = sorted(k for k in changes if k in TEMPLATE_TERMS)
        if frozen and template.issued > 0:
            raise CouponTemplateInUse(
                f"{template.issued} coupons were given out on these terms; "
                f"{', '.join(frozen)} can no longer change",
                fields=frozen,
            )
        merged = {**columns(template), **changes}
        problems = template_problems(_template_terms(merged))
        if problems:
            raise invalid_terms(problems)
        quota = merged["total_quota"]
        if quota is not None and quota < template.issued:
            raise ValidationFailed(
                f"{template.issued} coupons were given out already; the quota cannot be lower",
                field="total_quota",
            )
        await check_references(
            session,
            merchant_id,
            skus=[*changes.get("skus", []), changes.get("sku")],
            locations=changes.get("locations", []),
        )
        if changes:
            for name, value in changes.items():
                setattr(template, name, value)
            template.updated_at = utcnow()
            await session.flush()
            record_event(
                session,
                merchant_id=merchant_id,
                type="coupon_template.updated",
                data={"id": str(template.id), "changed": sorted(changes), "actor": actor},
            )
        view = template_out(template)
        await uow.commit()
    return view
