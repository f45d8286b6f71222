"""Coupon codes, validity, shown status and what makes sound terms, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from omniloop.promotions.domain import CouponKind, CouponStatus, PromotionKind, Tier
from omniloop.promotions.rules import (
    CODE_ALPHABET,
    PromotionTerms,
    TemplateTerms,
    grant_window_problem,
    new_coupon_code,
    normalize_code,
    promotion_problems,
    shown_status,
    template_problems,
    validity,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def terms(kind=CouponKind.FIXED_AMOUNT, **fields) -> TemplateTerms:
    base = TemplateTerms(
        kind=kind,
        amount=None,
        percent=None,
        cap=None,
        threshold=None,
        sku=None,
        starts_at=None,
        ends_at=None,
        days_after_grant=7,
    )
    return replace(base, **fields)


def fields(problems) -> list[str]:
    return [p.field for p in problems]


def test_coupon_codes_are_twelve_unambiguous_characters_and_do_not_repeat():
    codes = {new_coupon_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 12 and set(code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)


def test_a_code_typed_with_spaces_dashes_or_lower_case_is_the_same_code():
    assert normalize_code(" abcd-efgh 2345 ") == "ABCDEFGH2345"


def test_a_coupon_is_valid_for_the_templates_window_or_days_from_its_grant():
    start, end = NOW, NOW + timedelta(days=30)
    assert validity(granted_at=NOW, starts_at=start, ends_at=end, days_after_grant=None) == (
        start,
        end,
    )
    assert validity(granted_at=NOW, starts_at=None, ends_at=None, days_after_grant=3) == (
        NOW,
        NOW + timedelta(days=3),
    )
    with pytest.raises(ValueError):
        validity(granted_at=NOW, starts_at=None, ends_at=None, days_after_grant=None)


def test_an_available_coupon_past_its_validity_shows_expired():
    assert shown_status("available", valid_until=NOW, at=NOW) is CouponStatus.EXPIRED
    assert shown_status("available", valid_until=NOW, at=NOW - timedelta(1)).value == "available"
    assert shown_status("used", valid_until=NOW, at=NOW + timedelta(1)) is CouponStatus.USED


def test_a_template_gives_out_coupons_while_active_and_before_its_window_ends():
    assert grant_window_problem(active=True, ends_at=None, days_after_grant=3, at=NOW) is None
    assert grant_window_problem(active=False, ends_at=None, days_after_grant=3, at=NOW)
    assert grant_window_problem(active=True, ends_at=NOW, days_after_grant=None, at=NOW)


@pytest.mark.parametrize(
    ("kind", "given"),
    [
        (CouponKind.FIXED_AMOUNT, {"amount": 500}),
        (CouponKind.PERCENT, {"percent": 20}),
        (CouponKind.PERCENT, {"percent": 20, "cap": 3000}),
        (CouponKind.SPEND_SAVE, {"threshold": 10000, "amount": 2000}),
        (CouponKind.FREE_ITEM, {"sku": "BUN"}),
    ],
)
def test_each_kind_of_coupon_with_its_own_fields_is_sound(kind, given):
    assert template_problems(terms(kind, **given)) == []


@pytest.mark.parametrize(
    ("kind", "given", "named"),
    [
        (CouponKind.FIXED_AMOUNT, {}, ["amount"]),
        (CouponKind.FIXED_AMOUNT, {"amount": 500, "percent": 10}, ["percent"]),
        (CouponKind.PERCENT, {"cap": 100}, ["percent"]),
        (CouponKind.SPEND_SAVE, {"amount": 100}, ["threshold"]),
        (CouponKind.SPEND_SAVE, {"threshold": 100, "amount": 200}, ["amount"]),
        (CouponKind.FREE_ITEM, {"amount": 100}, ["amount", "sku"]),
    ],
)
def test_a_template_missing_or_mixing_kind_fields_names_them(kind, given, named):
    assert sorted(fields(template_problems(terms(kind, **given)))) == sorted(named)


def test_a_template_has_a_window_or_days_after_the_grant_not_both():
    window = {"starts_at": NOW, "ends_at": NOW + timedelta(days=1), "days_after_grant": None}
    assert template_problems(terms(amount=1, **window)) == []
    assert fields(template_problems(terms(amount=1, days_after_grant=None))) == [
        "starts_at",
        "ends_at",
    ]
    both = {**window, "days_after_grant": 3}
    assert fields(template_problems(terms(amount=1, **both))) == ["days_after_grant"]
    backwards = {**window, "ends_at": NOW}
    assert fields(template_problems(terms(amount=1, **backwards))) == ["ends_at"]


def promotion(kind, **fields) -> PromotionTerms:
    base = PromotionTerms(
        kind=kind,
        tiers=None,
        percent=None,
        tier_code=None,
        skus=[],
        categories=[],
        starts_at=None,
        ends_at=None,
    )
    return replace(base, **fields)


def test_sound_promotions_of_each_kind():
    tiers = [Tier(10000, 1000), Tier(20000, 2500)]
    assert promotion_problems(promotion(PromotionKind.SPEND_SAVE_TIERS, tiers=tiers)) == []
    assert promotion_problems(promotion(PromotionKind.PERCENT_OFF, percent=10, skus=["A"])) == []
    assert (
        promotion_problems(promotion(PromotionKind.TIER_PRICE, percent=10, tier_code="gold")) == []
    )


@pytest.mark.parametrize(
    ("kind", "given", "named"),
    [
        (PromotionKind.SPEND_SAVE_TIERS, {}, ["tiers"]),
        (PromotionKind.SPEND_SAVE_TIERS, {"tiers": [Tier(100, 200)]}, ["tiers.0.amount"]),
        (PromotionKind.SPEND_SAVE_TIERS, {"tiers": [Tier(100, 10), Tier(100, 20)]}, ["tiers"]),
        (PromotionKind.SPEND_SAVE_TIERS, {"tiers": [Tier(100, 50), Tier(200, 40)]}, ["tiers"]),
        (PromotionKind.SPEND_SAVE_TIERS, {"tiers": [Tier(100, 5)], "percent": 5}, ["percent"]),
        (PromotionKind.PERCENT_OFF, {"percent": 10}, ["skus"]),
        (PromotionKind.PERCENT_OFF, {"skus": ["A"]}, ["percent"]),
        (PromotionKind.TIER_PRICE, {"percent": 10}, ["tier_code"]),
        (PromotionKind.PERCENT_OFF, {"percent": 1, "skus": ["A"], "tier_code": "g"}, ["tier_code"]),
        (
            PromotionKind.PERCENT_OFF,
            {"percent": 1, "skus": ["A"], "starts_at": NOW, "ends_at": NOW},
            ["ends_at"],
        ),
    ],
)
def test_unsound_promotions_name_the_fields(kind, given, named):
    assert fields(promotion_problems(promotion(kind, **given))) == named
