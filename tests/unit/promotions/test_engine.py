"""The pricing engine, without a database: stages, stacking, coupon checks, allocation."""

from __future__ import annotations

import ast
import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import omniloop.promotions.cart as cart
import omniloop.promotions.domain as domain
import omniloop.promotions.rules as rules
from omniloop.promotions.domain import (
    CartContext,
    CartLine,
    CouponKind,
    CouponOffer,
    CouponStatus,
    CouponTerms,
    PromotionKind,
    PromotionRule,
    Rejection,
    Scope,
    Tier,
    allocate,
    price_cart,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ME = uuid.UUID("00000000-0000-0000-0000-00000000000a")
SOMEONE = uuid.UUID("00000000-0000-0000-0000-00000000000b")


def ctx(**changes) -> CartContext:
    base = CartContext(
        channel="own_app", location="S1", member_tier=None, at=NOW, currency="CNY", member_id=ME
    )
    return replace(base, **changes)


def line(index, sku, price, qty=1, category="drinks", before=0) -> CartLine:
    return CartLine(index, sku, category, qty, price, before)


def promo(kind, id="p1", **fields) -> PromotionRule:
    return PromotionRule(id=id, name=fields.pop("name", f"promo {id}"), kind=kind, **fields)


def percent_off(id="p1", percent=10, **scope) -> PromotionRule:
    scope = scope or {"skus": ["TEA"]}
    return promo(PromotionKind.PERCENT_OFF, id, percent=percent, scope=Scope.of(**scope))


def spend_save(id="s1", tiers=((10000, 1000),), **fields) -> PromotionRule:
    return promo(PromotionKind.SPEND_SAVE_TIERS, id, tiers=tuple(Tier(*t) for t in tiers), **fields)


def coupon(code="C1", kind=CouponKind.FIXED_AMOUNT, **fields) -> CouponOffer:
    terms_fields = {
        k: fields.pop(k)
        for k in list(fields)
        if k in {"amount", "percent", "cap", "threshold", "sku", "min_spend", "stackable", "scope"}
    }
    terms = CouponTerms(kind=kind, currency=fields.pop("currency", "CNY"), **terms_fields)
    offer = CouponOffer(
        code=code,
        label=f"coupon {code}",
        terms=terms,
        status=CouponStatus.AVAILABLE,
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=1),
        member_id=ME,
    )
    return replace(offer, **fields)


def discounts(result) -> dict[int, int]:
    return {ln.index: ln.discount for ln in result.lines}


# --------------------------------------------------------------------------- the module


def test_the_engine_imports_neither_web_nor_database_code():
    for module in (domain, cart, rules):
        tree = ast.parse(Path(module.__file__).read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {n for n in names if n.split(".")[0] in {"fastapi", "sqlalchemy", "pydantic"}}


def test_a_cart_without_rules_costs_its_lines():
    result = price_cart([line(1, "TEA", 1500, 2), line(2, "BUN", 800)], ctx(), [], [])
    assert (result.subtotal, result.discount_total, result.total) == (3800, 0, 3800)
    assert result.breakdown == () and result.rejected_coupons == ()


def test_lines_with_a_repeated_index_or_no_quantity_cannot_be_priced():
    with pytest.raises(ValueError):
        price_cart([line(1, "TEA", 100), line(1, "BUN", 100)], ctx(), [], [])
    with pytest.raises(ValueError):
        price_cart([line(1, "TEA", 100, qty=0)], ctx(), [], [])


# --------------------------------------------------------------------------- allocation


def test_allocation_is_proportional_and_sums_exactly():
    assert allocate(100, {1: 300, 2: 300, 3: 300}) == {1: 34, 2: 33, 3: 33}
    assert allocate(1000, {1: 7500, 2: 2500}) == {1: 750, 2: 250}


def test_odd_units_go_to_the_largest_remainders_then_the_lower_index():
    # 10 * 1/3 = 3.33 each: one unit left over, for line 1 (ties to the lower index)
    assert allocate(10, {3: 100, 1: 100, 2: 100}) == {1: 4, 2: 3, 3: 3}
    # 7 over 1:2 -> 2.33 and 4.67: the larger remainder (line 2) gets the odd unit
    assert allocate(7, {1: 10, 2: 20}) == {1: 2, 2: 5}


def test_allocation_never_gives_a_line_more_than_it_costs():
    assert allocate(5000, {1: 300, 2: 200}) == {1: 300, 2: 200}
    assert allocate(0, {1: 300}) == {}
    assert allocate(50, {1: 0, 2: 100}) == {2: 50}


def test_allocation_holds_for_many_random_carts():
    rng = random.Random(5)
    for _ in range(500):
        weights = {i: rng.randint(0, 10_000) for i in range(1, rng.randint(1, 8))}
        amount = rng.randint(0, sum(weights.values()) + 50)
        shares = allocate(amount, weights)
        assert sum(shares.values()) == min(amount, sum(weights.values()))
        assert all(0 < s <= weights[i] for i, s in shares.items())


# --------------------------------------------------------------------------- stage 1


def test_percent_off_discounts_the_skus_it_names():
    result = price_cart(
        [line(1, "TEA", 1500, 2), line(2, "BUN", 800)], ctx(), [percent_off(percent=20)], []
    )
    assert discounts(result) == {1: 600, 2: 0}
    (applied,) = result.breakdown
    assert applied.source == "promotion:p1" and applied.amount == 600 and applied.lines == {1: 600}


def test_percent_off_by_category_covers_every_sku_in_it():
    rule = percent_off(percent=10, categories=["bakery"])
    lines = [line(1, "TEA", 1000), line(2, "BUN", 500, category="bakery")]
    assert discounts(price_cart(lines, ctx(), [rule], [])) == {1: 0, 2: 50}


def test_percent_off_rounds_down_per_line():
    result = price_cart([line(1, "TEA", 333)], ctx(), [percent_off(percent=15)], [])
    assert result.lines[0].discount == 49  # 49.95 rounded down


def test_a_line_gets_the_best_single_line_promotion_not_both():
    rules = [percent_off("small", 10), percent_off("big", 25, categories=["drinks"])]
    result = price_cart([line(1, "TEA", 1000)], ctx(), rules, [])
    assert discounts(result) == {1: 250}
    assert [d.source for d in result.breakdown] == ["promotion:big"]


def test_equal_line_promotions_go_to_the_higher_priority_then_the_smaller_id():
    low = replace(percent_off("a", 10), priority=0)
    high = replace(percent_off("b", 10), priority=5)
    result = price_cart([line(1, "TEA", 1000)], ctx(), [low, high], [])
    assert [d.source for d in result.breakdown] == ["promotion:b"]
    result = price_cart(
        [line(1, "TEA", 1000)], ctx(), [percent_off("b", 10), percent_off("a", 10)], []
    )
    assert [d.source for d in result.breakdown] == ["promotion:a"]


def test_tier_price_applies_only_to_members_of_that_tier():
    rule = promo(PromotionKind.TIER_PRICE, "gold", percent=20, tier_code="gold")
    lines = [line(1, "TEA", 1000)]
    assert discounts(price_cart(lines, ctx(member_tier="gold"), [rule], [])) == {1: 200}
    assert discounts(price_cart(lines, ctx(member_tier="silver"), [rule], [])) == {1: 0}
    assert discounts(price_cart(lines, ctx(member_tier=None), [rule], [])) == {1: 0}


def test_a_member_price_already_taken_competes_with_line_promotions():
    # 5% member price taken already; a 20% promotion adds only the 15% beyond it
    lines = [line(1, "TEA", 1000, before=50)]
    result = price_cart(lines, ctx(), [percent_off(percent=20)], [])
    assert result.lines[0].discount == 150 and result.lines[0].total_discount == 200
    assert result.breakdown[0].amount == 150
    # a smaller promotion than the member price adds nothing
    result = price_cart(lines, ctx(), [percent_off(percent=3)], [])
    assert result.lines[0].discount == 0 and result.breakdown == ()
    assert result.total == 950


def test_promotions_apply_only_within_their_window():
    rule = replace(percent_off(percent=10), starts_at=NOW, ends_at=NOW + timedelta(hours=1))
    lines = [line(1, "TEA", 1000)]
    assert discounts(price_cart(lines, ctx(), [rule], [])) == {1: 100}
    assert discounts(price_cart(lines, ctx(at=NOW - timedelta(seconds=1)), [rule], [])) == {1: 0}
    assert discounts(price_cart(lines, ctx(at=NOW + timedelta(hours=1)), [rule], [])) == {1: 0}
    assert discounts(price_cart(lines, ctx(), [replace(rule, active=False)], [])) == {1: 0}


def test_promotions_apply_only_on_their_channels_and_locations():
    rule = percent_off(percent=10, skus=["TEA"], channels=["own_app"], locations=["S1"])
    lines = [line(1, "TEA", 1000)]
    assert discounts(price_cart(lines, ctx(), [rule], [])) == {1: 100}
    assert discounts(price_cart(lines, ctx(channel="pos"), [rule], [])) == {1: 0}
    assert discounts(price_cart(lines, ctx(location="S2"), [rule], [])) == {1: 0}
    assert discounts(price_cart(lines, ctx(location=None), [rule], [])) == {1: 0}


# --------------------------------------------------------------------------- stage 2


def test_the_highest_spend_save_tier_reached_applies_once():
    rule = spend_save(tiers=((10000, 1000), (20000, 3000), (30000, 5000)))
    assert price_cart([line(1, "A", 9999)], ctx(), [rule], []).discount_total == 0
    assert price_cart([line(1, "A", 10000)], ctx(), [rule], []).discount_total == 1000
    assert price_cart([line(1, "A", 25000)], ctx(), [rule], []).discount_total == 3000
    assert price_cart([line(1, "A", 10000, qty=9)], ctx(), [rule], []).discount_total == 5000


def test_spend_save_counts_what_lines_cost_after_line_promotions():
    rule = spend_save(tiers=((10000, 1000),))
    lines = [line(1, "TEA", 5000), line(2, "BUN", 5000)]
    assert price_cart(lines, ctx(), [rule], []).discount_total == 1000
    # 10% off TEA brings the cart to 9500: below the threshold
    result = price_cart(lines, ctx(), [rule, percent_off(percent=10)], [])
    assert result.discount_total == 500
    assert [d.source for d in result.breakdown] == ["promotion:p1"]


def test_spend_save_is_shared_over_the_lines_in_proportion():
    rule = spend_save(tiers=((10000, 1000),))
    result = price_cart([line(1, "A", 7500), line(2, "B", 2500)], ctx(), [rule], [])
    assert discounts(result) == {1: 750, 2: 250}
    assert result.breakdown[0].lines == {1: 750, 2: 250}


def test_spend_save_limited_to_categories_counts_and_discounts_only_those():
    rule = spend_save(tiers=((5000, 500),), scope=Scope.of(categories=["bakery"]))
    lines = [line(1, "TEA", 9000), line(2, "BUN", 6000, category="bakery")]
    assert discounts(price_cart(lines, ctx(), [rule], [])) == {1: 0, 2: 500}
    lines = [line(1, "TEA", 9000), line(2, "BUN", 4000, category="bakery")]
    assert price_cart(lines, ctx(), [rule], []).discount_total == 0


def test_two_spend_save_promotions_never_stack_the_better_one_applies():
    small, big = spend_save("a", ((10000, 500),)), spend_save("b", ((10000, 1500),))
    result = price_cart([line(1, "A", 12000)], ctx(), [small, big], [])
    assert result.discount_total == 1500
    assert [d.source for d in result.breakdown] == ["promotion:b"]


def test_spend_save_in_another_currency_does_not_apply():
    rule = spend_save(tiers=((100, 10),), currency="USD")
    assert price_cart([line(1, "A", 1000)], ctx(), [rule], []).discount_total == 0


# --------------------------------------------------------------------------- stage 3


def test_a_fixed_amount_coupon_applies_last_and_is_shared_over_the_lines():
    rule = spend_save(tiers=((10000, 1000),))
    lines = [line(1, "A", 6000), line(2, "B", 4000)]
    result = price_cart(lines, ctx(), [rule], [coupon(amount=900)])
    assert result.discount_total == 1900
    assert [d.source for d in result.breakdown] == ["promotion:s1", "coupon:C1"]
    assert result.breakdown[1].lines == {1: 540, 2: 360}
    assert result.applied_coupons == ("C1",)


def test_a_coupon_never_takes_more_than_what_is_left():
    result = price_cart([line(1, "A", 300)], ctx(), [], [coupon(amount=1000)])
    assert result.total == 0 and result.lines[0].discount == 300


def test_a_percent_coupon_is_capped():
    lines = [line(1, "A", 10000)]
    assert price_cart(lines, ctx(), [], [coupon(kind=CouponKind.PERCENT, percent=20)]).total == 8000
    capped = coupon(kind=CouponKind.PERCENT, percent=20, cap=1500)
    assert price_cart(lines, ctx(), [], [capped]).discount_total == 1500


def test_a_spend_save_coupon_needs_its_threshold():
    offer = coupon(kind=CouponKind.SPEND_SAVE, threshold=5000, amount=800)
    ok = price_cart([line(1, "A", 5000)], ctx(), [], [offer])
    assert ok.discount_total == 800
    short = price_cart([line(1, "A", 4999)], ctx(), [], [offer])
    assert short.discount_total == 0
    assert short.rejected_coupons[0].reason is Rejection.MIN_SPEND


def test_a_free_item_coupon_takes_one_unit_of_its_sku_off():
    offer = coupon(kind=CouponKind.FREE_ITEM, sku="BUN")
    result = price_cart([line(1, "TEA", 1500), line(2, "BUN", 800, qty=3)], ctx(), [], [offer])
    assert discounts(result) == {1: 0, 2: 800}
    missing = price_cart([line(1, "TEA", 1500)], ctx(), [], [offer])
    assert missing.rejected_coupons[0].reason is Rejection.NOT_ELIGIBLE


def test_a_free_item_after_a_promotion_gives_what_the_unit_still_costs():
    offer = coupon(kind=CouponKind.FREE_ITEM, sku="TEA")
    result = price_cart([line(1, "TEA", 1000, qty=2)], ctx(), [percent_off(percent=10)], [offer])
    assert result.breakdown[1].amount == 900 and result.total == 900


def test_minimum_spend_counts_eligible_lines_after_promotions():
    offer = coupon(amount=500, min_spend=5000, scope=Scope.of(skus=["TEA"]))
    lines = [line(1, "TEA", 5000), line(2, "BUN", 9000)]
    assert price_cart(lines, ctx(), [], [offer]).discount_total == 500
    result = price_cart(lines, ctx(), [percent_off(percent=10)], [offer])
    assert result.rejected_coupons[0].reason is Rejection.MIN_SPEND
    assert result.applied_coupons == ()


def test_a_coupon_discounts_only_its_eligible_lines():
    offer = coupon(amount=500, scope=Scope.of(categories=["bakery"]))
    lines = [line(1, "TEA", 5000), line(2, "BUN", 1000, category="bakery")]
    assert discounts(price_cart(lines, ctx(), [], [offer])) == {1: 0, 2: 500}
    nothing = price_cart([line(1, "TEA", 5000)], ctx(), [], [offer])
    assert nothing.rejected_coupons[0].reason is Rejection.NOT_ELIGIBLE


def test_one_coupon_per_order_by_default():
    first, second = coupon("C1", amount=100), coupon("C2", amount=200)
    result = price_cart([line(1, "A", 5000)], ctx(), [], [first, second])
    assert result.applied_coupons == ("C1",) and result.discount_total == 100
    assert [(r.code, r.reason) for r in result.rejected_coupons] == [
        ("C2", Rejection.NOT_STACKABLE)
    ]


def test_stackable_coupons_stack_only_with_each_other():
    a = coupon("A", amount=100, stackable=True)
    b = coupon("B", amount=200, stackable=True)
    plain = coupon("P", amount=300)
    both = price_cart([line(1, "X", 5000)], ctx(), [], [a, b])
    assert both.applied_coupons == ("A", "B") and both.discount_total == 300
    mixed = price_cart([line(1, "X", 5000)], ctx(), [], [plain, a])
    assert mixed.applied_coupons == ("P",)
    assert mixed.rejected_coupons[0].reason is Rejection.NOT_STACKABLE
    mixed = price_cart([line(1, "X", 5000)], ctx(), [], [a, plain])
    assert mixed.applied_coupons == ("A",)


def test_a_refused_coupon_does_not_use_up_the_orders_one_coupon():
    expired = coupon("OLD", amount=900, valid_until=NOW)
    good = coupon("NEW", amount=100)
    result = price_cart([line(1, "A", 5000)], ctx(), [], [expired, good])
    assert result.applied_coupons == ("NEW",)
    assert [(r.code, r.reason) for r in result.rejected_coupons] == [("OLD", Rejection.EXPIRED)]


@pytest.mark.parametrize(
    ("changes", "context", "reason"),
    [
        ({"member_id": SOMEONE}, {}, Rejection.NOT_YOURS),
        ({}, {"member_id": None}, Rejection.NOT_YOURS),
        ({"status": CouponStatus.USED}, {}, Rejection.ALREADY_USED),
        ({"status": CouponStatus.HELD}, {}, Rejection.IN_USE),
        ({"status": CouponStatus.VOID}, {}, Rejection.VOID),
        ({"status": CouponStatus.EXPIRED}, {}, Rejection.EXPIRED),
        ({"valid_until": NOW}, {}, Rejection.EXPIRED),
        ({"valid_from": NOW + timedelta(seconds=1)}, {}, Rejection.NOT_YET_VALID),
        ({"currency": "USD"}, {}, Rejection.WRONG_CURRENCY),
        ({"scope": Scope.of(channels=["pos"])}, {}, Rejection.WRONG_CHANNEL),
        ({"scope": Scope.of(locations=["S2"])}, {}, Rejection.WRONG_LOCATION),
        ({"scope": Scope.of(locations=["S1"])}, {"location": None}, Rejection.WRONG_LOCATION),
        ({"min_spend": 5001}, {}, Rejection.MIN_SPEND),
        ({"scope": Scope.of(skus=["NOPE"])}, {}, Rejection.NOT_ELIGIBLE),
    ],
)
def test_a_coupon_that_cannot_apply_comes_back_with_its_reason(changes, context, reason):
    offer = coupon(amount=100, **changes)
    result = price_cart([line(1, "A", 5000)], ctx(**context), [], [offer])
    assert result.applied_coupons == () and result.discount_total == 0
    (rejected,) = result.rejected_coupons
    assert (rejected.code, rejected.reason) == ("C1", reason) and rejected.message


def test_the_same_code_twice_is_refused_the_second_time():
    offer = coupon(amount=100, stackable=True)
    result = price_cart([line(1, "A", 5000)], ctx(), [], [offer, offer])
    assert result.applied_coupons == ("C1",) and result.discount_total == 100
    assert result.rejected_coupons[0].reason is Rejection.DUPLICATE


# --------------------------------------------------------------------------- the whole


def test_all_three_stages_in_order_with_a_breakdown_per_rule():
    gold = promo(PromotionKind.TIER_PRICE, "gold", percent=10, tier_code="gold")
    tea = percent_off("tea", 20)
    tiers = spend_save("mj", ((5000, 500), (8000, 1000)))
    lines = [
        line(1, "TEA", 2000, qty=2),
        line(2, "CAKE", 3000, category="bakery"),
        line(3, "BUN", 1500),
    ]
    result = price_cart(lines, ctx(member_tier="gold"), [gold, tea, tiers], [coupon(amount=700)])
    # stage 1: TEA 20% (800) beats gold 10% (400); CAKE and BUN gold 10% (300, 150)
    # stage 2: 4000-800 + 3000-300 + 1500-150 = 7250 -> the 5000 tier: 500
    # stage 3: 700 on what is left (6750)
    assert [(d.source, d.amount) for d in result.breakdown] == [
        ("promotion:gold", 450),
        ("promotion:tea", 800),
        ("promotion:mj", 500),
        ("coupon:C1", 700),
    ]
    assert result.breakdown[0].lines == {2: 300, 3: 150}
    assert sum(d.amount for d in result.breakdown) == result.discount_total == 2450
    for d in result.breakdown:
        assert sum(d.lines.values()) == d.amount
    assert sum(ln.total for ln in result.lines) == result.total == 8500 - 2450
    assert all(ln.total >= 0 for ln in result.lines)


def test_the_same_cart_costs_the_same_on_every_channel_its_rules_allow():
    rules = [percent_off(percent=15), spend_save(tiers=((3000, 300),))]
    lines = [line(1, "TEA", 1500, qty=2), line(2, "BUN", 800)]
    prices = {
        channel: price_cart(lines, ctx(channel=channel), rules, [coupon(amount=250)]).as_dict()
        for channel in ("own_app", "pos", "web", "mini_program")
    }
    assert len({repr(p) for p in prices.values()}) == 1


def test_pricing_is_deterministic_whatever_order_the_rules_come_in():
    rules = [
        percent_off("a", 10),
        percent_off("b", 10, categories=["drinks"]),
        spend_save("c", ((1000, 100),)),
        spend_save("d", ((1000, 100),)),
    ]
    lines = [line(2, "BUN", 700), line(1, "TEA", 1500, qty=3)]
    first = price_cart(lines, ctx(), rules, []).as_dict()
    rng = random.Random(1)
    for _ in range(20):
        shuffled = rules[:]
        rng.shuffle(shuffled)
        assert price_cart(list(reversed(lines)), ctx(), shuffled, []).as_dict() == first


def test_no_line_ever_goes_below_zero_on_random_carts():
    rng = random.Random(7)
    for _ in range(300):
        lines = [
            line(
                i,
                rng.choice(["TEA", "BUN", "CAKE"]),
                rng.randint(0, 5000),
                rng.randint(1, 4),
                before=0,
            )
            for i in range(1, rng.randint(2, 6))
        ]
        lines = [replace(ln, discount_before=rng.randint(0, ln.subtotal)) for ln in lines]
        rules = [
            percent_off("p", rng.randint(1, 100)),
            spend_save("s", ((rng.randint(1, 8000), rng.randint(1, 3000)),)),
        ]
        offers = [
            coupon("F", amount=rng.randint(1, 9000), stackable=True),
            coupon("P", kind=CouponKind.PERCENT, percent=rng.randint(1, 100), stackable=True),
            coupon("I", kind=CouponKind.FREE_ITEM, sku="BUN", stackable=True),
        ]
        result = price_cart(lines, ctx(), rules, offers)
        assert all(0 <= ln.total <= ln.subtotal for ln in result.lines)
        assert sum(d.amount for d in result.breakdown) == result.discount
        for d in result.breakdown:
            assert sum(d.lines.values()) == d.amount and all(v > 0 for v in d.lines.values())


def test_the_result_serialises_for_an_order_and_a_quote():
    result = price_cart([line(1, "TEA", 1000)], ctx(), [percent_off()], [coupon(amount=50)])
    data = result.as_dict()
    assert data["total"] == 850 and data["breakdown"][0]["lines"] == {"1": 100}
    assert data["lines"][0]["total_discount"] == 150
    assert result.line_discounts() == {1: 150}
