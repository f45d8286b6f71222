"""Referral rules in plain Python: codes, the merchant's reward rule, and why a referral is
refused.

A member shares their code; a *new* member who joins with it is referred by them (once:
nobody is referred twice). When the new member's first order completes, both get what the
merchant's rule says (points and/or a coupon), exactly once. Refused: referring oneself, a
member who existed before, one already referred, and loops (A referred B, so B cannot refer
A, nor can anyone B brought in, however indirectly).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""No 0/O, 1/I: codes are read aloud and typed from posters."""
CODE_LENGTH = 8
_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")

ATTACH_WINDOW = timedelta(hours=24)
"""A member may name who referred them this long after joining (later, they are not new)."""

MAX_REWARD_POINTS = 1_000_000


def new_referral_code() -> str:
    """A random code: 32^8 (about 10^12) of them, so a merchant's rarely collide."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """The code as stored (upper case, spaces and dashes dropped), or None when it cannot
    be one."""
    code = re.sub(r"[\s-]", "", raw).upper()
    return code if _CODE.match(code) else None


class RefusalReason(StrEnum):
    UNKNOWN_CODE = "unknown_code"
    PROGRAM_DISABLED = "program_disabled"
    SELF_REFERRAL = "self_referral"
    EXISTING_MEMBER = "existing_member"
    ALREADY_REFERRED = "already_referred"
    LOOP = "loop"


def refusal(
    *,
    referrer_id: uuid.UUID,
    referee_id: uuid.UUID,
    referee_created: bool,
    already_referred: bool,
    referrer_ancestors: frozenset[uuid.UUID],
) -> RefusalReason | None:
    """Why ``referrer_id`` may not be recorded as having referred ``referee_id``, if they
    may not. ``referrer_ancestors``: who referred the referrer, and who referred them, up
    the chain."""
    if referrer_id == referee_id:
        return RefusalReason.SELF_REFERRAL
    if not referee_created:
        return RefusalReason.EXISTING_MEMBER
    if already_referred:
        return RefusalReason.ALREADY_REFERRED
    if referee_id in referrer_ancestors:
        return RefusalReason.LOOP
    return None


@dataclass(frozen=True)
class Reward:
    """What one side of a referral gets: points, a coupon of a template, both or nothing."""

    points: int = 0
    coupon_template_id: uuid.UUID | None = None

    @property
    def empty(self) -> bool:
        return self.points == 0 and self.coupon_template_id is None


@dataclass(frozen=True)
class ReferralRule:
    enabled: bool = False
    referrer_reward: Reward = field(default_factory=Reward)
    referee_reward: Reward = field(default_factory=Reward)


DEFAULT_RULE = ReferralRule()
"""Until the merchant sets one: off."""


class InvalidRule(Exception):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def validate_rule(rule: ReferralRule) -> ReferralRule:
    """``rule`` if it keeps every rule, else InvalidRule naming the field."""
    for side in ("referrer_reward", "referee_reward"):
        reward: Reward = getattr(rule, side)
        if not 0 <= reward.points <= MAX_REWARD_POINTS:
            raise InvalidRule(f"between 0 and {MAX_REWARD_POINTS}", field=f"{side}.points")
    if rule.enabled and rule.referrer_reward.empty and rule.referee_reward.empty:
        raise InvalidRule("an enabled program rewards someone", field="referrer_reward")
    return rule


def reward_to_config(reward: Reward) -> dict[str, Any]:
    """A reward's stored (JSON) form."""
    return {
        "points": reward.points,
        "coupon_template_id": str(reward.coupon_template_id) if reward.coupon_template_id else None,
    }


def _reward_from_config(config: Mapping[str, Any]) -> Reward:
    template = config.get("coupon_template_id")
    return Reward(
        points=int(config.get("points", 0)),
        coupon_template_id=uuid.UUID(template) if template else None,
    )


def rule_from_config(
    enabled: bool, referrer: Mapping[str, Any], referee: Mapping[str, Any]
) -> ReferralRule:
    return ReferralRule(
        enabled=enabled,
        referrer_reward=_reward_from_config(referrer),
        referee_reward=_reward_from_config(referee),
    )
