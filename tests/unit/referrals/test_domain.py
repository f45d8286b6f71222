"""Referral rules without a database: codes, refusals and the reward rule."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest

from omniloop.referrals import domain
from omniloop.referrals.domain import (
    CODE_ALPHABET,
    CODE_LENGTH,
    InvalidRule,
    ReferralRule,
    RefusalReason,
    Reward,
    new_referral_code,
    normalize_code,
    refusal,
    reward_to_config,
    rule_from_config,
    validate_rule,
)

A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def test_codes_avoid_characters_that_read_alike():
    codes = {new_referral_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert not set("01IO") & set(CODE_ALPHABET)


def test_a_typed_code_is_upper_cased_and_loses_spaces_and_dashes():
    assert normalize_code(" abcd-efgh ") == "ABCDEFGH"
    assert normalize_code("ABCD EFG") is None  # too short
    assert normalize_code("ABCDEFG0") is None  # 0 is never in a code


def check(referrer=A, referee=B, *, created=True, already=False, ancestors=()):
    return refusal(
        referrer_id=referrer,
        referee_id=referee,
        referee_created=created,
        already_referred=already,
        referrer_ancestors=frozenset(ancestors),
    )


def test_a_new_unreferred_member_outside_the_referrers_chain_may_be_referred():
    assert check(ancestors=[C]) is None


def test_refusals_and_their_reasons():
    assert check(referee=A) is RefusalReason.SELF_REFERRAL
    assert check(created=False) is RefusalReason.EXISTING_MEMBER
    assert check(already=True) is RefusalReason.ALREADY_REFERRED
    assert check(ancestors=[C, B]) is RefusalReason.LOOP


def test_an_enabled_rule_must_reward_someone_with_sensible_points():
    with pytest.raises(InvalidRule) as caught:
        validate_rule(ReferralRule(enabled=True))
    assert caught.value.field == "referrer_reward"
    with pytest.raises(InvalidRule) as caught:
        validate_rule(ReferralRule(enabled=True, referee_reward=Reward(points=-5)))
    assert caught.value.field == "referee_reward.points"
    assert validate_rule(ReferralRule(enabled=False)) == ReferralRule()


def test_a_rule_survives_storage():
    rule = ReferralRule(
        enabled=True,
        referrer_reward=Reward(points=100, coupon_template_id=C),
        referee_reward=Reward(points=50),
    )
    stored = rule_from_config(
        True, reward_to_config(rule.referrer_reward), reward_to_config(rule.referee_reward)
    )
    assert stored == rule


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in {"fastapi", "sqlalchemy", "pydantic"}}
