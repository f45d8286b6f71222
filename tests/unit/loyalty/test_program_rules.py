"""The loyalty program's rules: earning, tiers, expiry, redemption, top-up bonuses,
reversal on refund, and what makes a program valid."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from omniloop.loyalty import domain as domain_module
from omniloop.loyalty import program_rules as rules_module
from omniloop.loyalty.domain import (
    DEFAULT_PROGRAM,
    EarnRate,
    ExpiryPolicy,
    Rounding,
    Tier,
    TopUpRule,
    default_program,
    max_redeemable_points,
    points_expiry,
    points_needed,
    points_to_earn,
    points_to_reverse,
    points_value,
    tier_for,
    top_up_bonus,
)
from omniloop.loyalty.program_rules import (
    InvalidProgram,
    program_from_config,
    program_to_config,
    validate_program,
)

P = DEFAULT_PROGRAM


# --------------------------------------------------------------------------- defaults


def test_default_program_is_one_point_per_yuan_with_four_tiers():
    assert P.currency == "CNY"
    assert P.earn == EarnRate(points=1, per_amount=100)
    assert [(t.name, t.threshold) for t in P.tiers] == [
        ("普通", 0), ("银卡", 100_000), ("金卡", 500_000), ("黑金", 2_000_000),
    ]  # fmt: skip
    assert [t.earn_multiplier_percent for t in P.tiers] == [100, 110, 125, 150]
    assert [t.discount_percent for t in P.tiers] == [0, 0, 2, 5]
    assert P.expiry is ExpiryPolicy.END_OF_NEXT_YEAR
    assert (P.redeem_points, P.redeem_amount, P.max_redeem_percent) == (100, 100, 50)
    assert P.top_up_rules == (TopUpRule(50_000, 5_000), TopUpRule(100_000, 12_000))
    assert validate_program(P) is P


def test_default_program_takes_the_merchants_currency():
    assert default_program("HKD").currency == "HKD"
    assert default_program("HKD").tiers == P.tiers


# --------------------------------------------------------------------------- earning


def test_one_point_per_yuan_rounds_down_by_default():
    assert points_to_earn(P, amount=12_399, channel="pos", tier_code="normal") == 123


def test_tier_multiplier_applies_before_rounding():
    # ¥123.99 at 125%: 154.9875 points, not 123 * 1.25 = 153.75
    assert points_to_earn(P, amount=12_399, channel="pos", tier_code="gold") == 154
    assert points_to_earn(P, amount=10_000, channel="pos", tier_code="black") == 150


@pytest.mark.parametrize(
    ("rounding", "amount", "expected"),
    [
        (Rounding.DOWN, 1_050, 10),
        (Rounding.HALF_UP, 1_050, 11),
        (Rounding.HALF_UP, 1_049, 10),
        (Rounding.UP, 1_001, 11),
        (Rounding.UP, 1_000, 10),
    ],
)
def test_rounding_mode_decides_the_fraction_of_a_point(rounding, amount, expected):
    program = replace(P, rounding=rounding)
    assert points_to_earn(program, amount=amount, channel="pos", tier_code=None) == expected


def test_channel_rate_overrides_the_base_rate():
    program = replace(P, channel_earn={"meituan": EarnRate(1, 200), "eleme": EarnRate(0, 100)})
    assert points_to_earn(program, amount=10_000, channel="meituan", tier_code=None) == 50
    assert points_to_earn(program, amount=10_000, channel="eleme", tier_code="black") == 0
    assert points_to_earn(program, amount=10_000, channel="pos", tier_code=None) == 100


def test_nothing_is_earned_on_nothing_or_when_the_program_is_off():
    assert points_to_earn(P, amount=0, channel="pos", tier_code=None) == 0
    assert points_to_earn(P, amount=-500, channel="pos", tier_code=None) == 0
    off = replace(P, enabled=False)
    assert points_to_earn(off, amount=10_000, channel="pos", tier_code=None) == 0


def test_an_unknown_or_missing_tier_earns_the_base_rate():
    assert points_to_earn(P, amount=10_000, channel="pos", tier_code="retired") == 100
    assert points_to_earn(P, amount=10_000, channel="pos", tier_code=None) == 100


def test_large_amounts_are_exact():
    program = replace(P, earn=EarnRate(3, 7), rounding=Rounding.DOWN)
    amount = 10**12 - 1
    assert points_to_earn(program, amount=amount, channel=None, tier_code=None) == amount * 3 // 7


# --------------------------------------------------------------------------- reversal


def test_partial_refunds_reverse_points_cumulatively():
    # 10 points on ¥3, refunded ¥1 at a time: 3, 3, then the last 4 (per refund it would be
    # 3 + 3 + 3 and one point would outlive the full refund).
    taken = []
    for refunded in (100, 200, 300):
        taken.append(
            points_to_reverse(
                earned=10, base_amount=300, refunded_amount=refunded, already_reversed=sum(taken)
            )
        )
    assert taken == [3, 3, 4]


def test_a_full_refund_reverses_everything_earned():
    assert (
        points_to_reverse(
            earned=100, base_amount=10_000, refunded_amount=9_999, already_reversed=99
        )
        == 0
    )
    assert (
        points_to_reverse(
            earned=100, base_amount=10_000, refunded_amount=10_000, already_reversed=99
        )
        == 1
    )
    assert (
        points_to_reverse(earned=7, base_amount=100, refunded_amount=500, already_reversed=0) == 7
    )


def test_reversal_is_never_negative():
    assert (
        points_to_reverse(earned=10, base_amount=100, refunded_amount=10, already_reversed=5) == 0
    )
    assert points_to_reverse(earned=10, base_amount=0, refunded_amount=10, already_reversed=0) == 0
    assert (
        points_to_reverse(earned=0, base_amount=100, refunded_amount=100, already_reversed=0) == 0
    )


# --------------------------------------------------------------------------- tiers


@pytest.mark.parametrize(
    ("spend", "tier"),
    [
        (-5_000, "normal"),
        (0, "normal"),
        (99_999, "normal"),
        (100_000, "silver"),
        (499_999, "silver"),
        (500_000, "gold"),
        (2_000_000, "black"),
        (10**11, "black"),
    ],
)
def test_tier_is_the_highest_threshold_reached(spend, tier):
    assert tier_for(P, spend).code == tier


# --------------------------------------------------------------------------- expiry


def test_points_earned_this_year_expire_when_next_year_ends_in_the_merchants_zone():
    earned = datetime(2026, 3, 15, 4, 0, tzinfo=UTC)
    expires = points_expiry(P, earned, "Asia/Shanghai")
    assert expires == datetime(2027, 12, 31, 16, 0, tzinfo=UTC)  # 2028-01-01 00:00 +08:00


def test_new_years_eve_local_counts_as_the_local_year():
    # 2026-12-31 23:30 in Shanghai is 15:30 UTC the same day; 2027-01-01 00:30 Shanghai is
    # still 2026 in UTC but 2027 locally, so it lasts a year longer.
    late = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    early = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert points_expiry(P, late, "Asia/Shanghai") == datetime(2027, 12, 31, 16, tzinfo=UTC)
    assert points_expiry(P, early, "Asia/Shanghai") == datetime(2028, 12, 31, 16, tzinfo=UTC)


def test_expiry_after_days_and_never():
    earned = datetime(2026, 3, 15, 4, 0, tzinfo=UTC)
    program = replace(P, expiry=ExpiryPolicy.DAYS, expiry_days=90)
    assert points_expiry(program, earned, "Asia/Shanghai") == earned + timedelta(days=90)
    assert points_expiry(replace(P, expiry=ExpiryPolicy.NEVER), earned, "UTC") is None


# --------------------------------------------------------------------------- redemption


def test_hundred_points_pay_one_yuan_rounded_down():
    assert points_value(P, 100) == 100
    assert points_value(P, 250) == 250
    program = replace(P, redeem_points=300, redeem_amount=100)  # 3 points a fen
    assert points_value(program, 299) == 99
    assert points_value(program, 0) == 0


def test_points_needed_rounds_up():
    program = replace(P, redeem_points=300, redeem_amount=100)
    assert points_needed(program, 100) == 300
    assert points_needed(program, 101) == 303
    assert points_needed(P, 0) == 0


def test_points_pay_at_most_the_programs_share_of_an_order():
    assert max_redeemable_points(P, 10_000) == 5_000  # ¥50 of ¥100
    assert max_redeemable_points(P, 9_999) == 4_999
    assert points_value(P, max_redeemable_points(P, 9_999)) <= 9_999 // 2
    assert max_redeemable_points(replace(P, max_redeem_percent=0), 10_000) == 0
    assert max_redeemable_points(replace(P, enabled=False), 10_000) == 0


# --------------------------------------------------------------------------- top-ups


def test_the_best_rule_the_top_up_reaches_applies_once():
    assert top_up_bonus(P, 49_999) == (0, None)
    assert top_up_bonus(P, 50_000) == (5_000, TopUpRule(50_000, 5_000))
    assert top_up_bonus(P, 99_999) == (5_000, TopUpRule(50_000, 5_000))
    assert top_up_bonus(P, 300_000) == (12_000, TopUpRule(100_000, 12_000))


def test_no_bonus_without_rules_or_with_the_program_off():
    assert top_up_bonus(replace(P, top_up_rules=()), 100_000) == (0, None)
    assert top_up_bonus(replace(P, enabled=False), 100_000) == (0, None)


# --------------------------------------------------------------------------- validation


def _invalid(field: str, **changes):
    with pytest.raises(InvalidProgram) as info:
        validate_program(replace(P, **changes))
    assert info.value.field == field, info.value
    return info.value


def test_tier_thresholds_must_start_at_zero_and_climb_strictly():
    tiers = list(P.tiers)
    _invalid("tiers.0.threshold", tiers=(replace(tiers[0], threshold=1), *tiers[1:]))
    _invalid("tiers.2.threshold", tiers=(tiers[0], tiers[1], replace(tiers[2], threshold=100_000)))
    _invalid("tiers", tiers=())


def test_tier_codes_are_unique_and_percentages_in_range():
    tiers = list(P.tiers)
    _invalid("tiers.1.code", tiers=(tiers[0], replace(tiers[1], code="normal")))
    _invalid(
        "tiers.1.earn_multiplier_percent",
        tiers=(tiers[0], replace(tiers[1], earn_multiplier_percent=99)),
    )
    _invalid(
        "tiers.1.earn_multiplier_percent",
        tiers=(tiers[0], replace(tiers[1], earn_multiplier_percent=1001)),
    )
    _invalid("tiers.1.discount_percent", tiers=(tiers[0], replace(tiers[1], discount_percent=101)))
    _invalid("tiers.0.code", tiers=(Tier("has space", "x", 0),))


def test_rates_and_redemption_must_be_positive():
    _invalid("earn.points", earn=EarnRate(0, 100))
    _invalid("earn.per_amount", earn=EarnRate(1, 0))
    _invalid("channel_earn.meituan.per_amount", channel_earn={"meituan": EarnRate(1, 0)})
    _invalid("channel_earn.Bad Channel", channel_earn={"Bad Channel": EarnRate(1, 1)})
    _invalid("redeem_points", redeem_points=0)
    _invalid("redeem_amount", redeem_amount=0)
    _invalid("max_redeem_percent", max_redeem_percent=101)


def test_expiry_days_go_with_the_days_policy_only():
    _invalid("expiry_days", expiry=ExpiryPolicy.DAYS, expiry_days=None)
    _invalid("expiry_days", expiry=ExpiryPolicy.DAYS, expiry_days=0)
    _invalid("expiry_days", expiry=ExpiryPolicy.NEVER, expiry_days=30)


def test_currency_must_be_iso_4217():
    _invalid("currency", currency="XYZ")
    _invalid("currency", currency="XAU")


def test_top_up_rules_need_distinct_positive_payments():
    _invalid("top_up_rules.1.pay", top_up_rules=(TopUpRule(100, 1), TopUpRule(100, 2)))
    _invalid("top_up_rules.0.pay", top_up_rules=(TopUpRule(0, 1),))
    _invalid("top_up_rules.0.bonus", top_up_rules=(TopUpRule(100, -1),))


def test_a_program_survives_its_stored_form():
    program = replace(
        P,
        channel_earn={"meituan": EarnRate(1, 200)},
        expiry=ExpiryPolicy.DAYS,
        expiry_days=180,
        rounding=Rounding.HALF_UP,
    )
    assert program_from_config(program_to_config(program)) == program


def test_a_broken_stored_form_is_refused():
    config = program_to_config(P)
    del config["earn"]
    with pytest.raises(InvalidProgram):
        program_from_config(config)


@pytest.mark.parametrize("module", [domain_module, rules_module])
def test_domain_imports_neither_web_nor_database(module):
    tree = ast.parse(Path(module.__file__).read_text())
    names = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert not names & {"fastapi", "sqlalchemy", "starlette"}
