"""The merchant's referral rule: read it (off until set), replace it whole."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork, is_unique_violation
from omniloop.errors import Conflict, ValidationFailed
from omniloop.events import record_event
from omniloop.promotions.models import CouponTemplate
from omniloop.referrals.domain import (
    DEFAULT_RULE,
    InvalidRule,
    ReferralRule,
    Reward,
    reward_to_config,
    rule_from_config,
    validate_rule,
)
from omniloop.referrals.models import ReferralProgram
from omniloop.referrals.schemas import ReferralProgramOut, RewardOut
from omniloop.shared.clock import utcnow


async def stored_rule_in(
    session: AsyncSession, merchant_id: uuid.UUID
) -> tuple[ReferralRule, ReferralProgram | None]:
    """The merchant's rule (off until set) and its stored row, in the caller's transaction."""
    row = await session.get(ReferralProgram, merchant_id, populate_existing=True)
    if row is None:
        return DEFAULT_RULE, None
    return rule_from_config(row.enabled, row.referrer_reward, row.referee_reward), row


def _program_out(rule: ReferralRule, row: ReferralProgram | None) -> ReferralProgramOut:
    def reward(r: Reward) -> RewardOut:
        return RewardOut(points=r.points, coupon_template_id=r.coupon_template_id)

    return ReferralProgramOut(
        enabled=rule.enabled,
        referrer_reward=reward(rule.referrer_reward),
        referee_reward=reward(rule.referee_reward),
        version=row.version if row else 0,
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
    )


async def get_program(*, uow: UnitOfWork, merchant_id: uuid.UUID) -> ReferralProgramOut:
    """The merchant's referral rule (off, version 0, until one is set)."""
    async with uow.read_only():
        return _program_out(*await stored_rule_in(uow.session, merchant_id))


async def _check_templates(
    session: AsyncSession, merchant_id: uuid.UUID, rule: ReferralRule
) -> None:
    for side in ("referrer_reward", "referee_reward"):
        template_id = getattr(rule, side).coupon_template_id
        if template_id is None:
            continue
        if await session.get(CouponTemplate, (merchant_id, template_id)) is None:
            raise ValidationFailed(
                f"no coupon template {template_id}", field=f"{side}.coupon_template_id"
            )


async def put_program(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, rule: ReferralRule, actor: str
) -> ReferralProgramOut:
    """Replace the merchant's referral rule (version + 1). It applies to the rewards of
    first orders completing from now on, whenever the referral was made."""
    try:
        validate_rule(rule)
    except InvalidRule as exc:
        raise ValidationFailed(exc.message, field=exc.field) from None
    async with uow:
        session = uow.session
        await _check_templates(session, merchant_id, rule)
        _, row = await stored_rule_in(session, merchant_id)
        now = utcnow()
        if row is None:
            row = ReferralProgram(merchant_id=merchant_id, version=0)
            session.add(row)
        row.enabled = rule.enabled
        row.referrer_reward = reward_to_config(rule.referrer_reward)
        row.referee_reward = reward_to_config(rule.referee_reward)
        row.version += 1
        row.updated_by = actor
        row.updated_at = now
        view = _program_out(rule, row)
        record_event(
            session,
            merchant_id=merchant_id,
            type="referral_program.updated",
            data=view.model_dump(mode="json"),
        )
        try:
            await uow.commit()
        except IntegrityError as exc:  # two first PUTs at once: the other one won
            if not is_unique_violation(exc):
                raise
            raise Conflict("the referral program changed meanwhile; retry") from None
    return view
