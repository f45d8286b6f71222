"""The pricing engine: automatic promotions and coupons on a cart, in plain Python.

:func:`price_cart` prices a cart in three stages, always in this order:

1. **Line promotions** — ``percent_off`` (a SKU or category set) and ``tier_price`` (a member
   tier's price). Each line gets the single best one that applies to it: the largest
   discount, then the higher ``priority``, then the smaller id. A line's ``discount_before``
   (the member price orders already took) competes with them: a promotion adds only what it
   gives beyond that, so a tier discount and a promotion never pile up on one line.
2. **Spend X save Y** (``spend_save_tiers``, 满减) — on what the eligible lines cost after
   stage 1, the highest tier reached applies, once. Of several such promotions only the best
   one applies (same tie-breaks): two 满减 never stack.
3. **Coupons**, in the order the customer gave them, on what is left. An order takes one
   coupon unless every coupon applied to it is ``stackable``. Each is checked (whose it is,
   its status and validity, currency, channel, location, eligible lines, minimum spend); a
   refused coupon comes back with a reason instead of failing the cart.

A discount that covers several lines is shared over them in proportion to what each still
costs, by largest remainder: shares sum exactly to the discount, the odd units go to the
largest remainders (ties to the lower line index), and no line ever goes below zero.

The result depends on the inputs alone: the lines, the context (channel, location, member
tier, moment, currency, member) and the rules. Channels and locations matter only where a
rule names them, so an order costs the same whichever channel computes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from omniloop.promotions.cart import (
    LINE_PROMOTIONS,
    AppliedDiscount,
    CartContext,
    CartLine,
    CouponKind,
    CouponOffer,
    CouponStatus,
    CouponTerms,
    LinePrice,
    PricingResult,
    PromotionKind,
    PromotionRule,
    RejectedCoupon,
    Rejection,
    Scope,
    Tier,
)

__all__ = [
    "LINE_PROMOTIONS",
    "AppliedDiscount",
    "CartContext",
    "CartLine",
    "CouponKind",
    "CouponOffer",
    "CouponStatus",
    "CouponTerms",
    "LinePrice",
    "PricingResult",
    "PromotionKind",
    "PromotionRule",
    "RejectedCoupon",
    "Rejection",
    "Scope",
    "Tier",
    "allocate",
    "price_cart",
]
"""The engine and the values it works on (defined in :mod:`omniloop.promotions.cart`)."""


# --------------------------------------------------------------------------- allocation


def allocate(amount: int, weights: dict[int, int]) -> dict[int, int]:
    """Share ``amount`` over lines in proportion to ``weights`` (what each still costs) by
    largest remainder: shares sum to ``amount`` (capped at the weights' sum), odd units go to
    the largest remainders (ties to the lower index), no share exceeds its weight. Lines
    getting nothing are left out."""
    weights = {i: w for i, w in weights.items() if w > 0}
    whole = sum(weights.values())
    amount = min(amount, whole)
    if amount <= 0:
        return {}
    shares = {i: amount * w // whole for i, w in weights.items()}
    left = amount - sum(shares.values())
    by_remainder = sorted(weights, key=lambda i: (-(amount * weights[i] % whole), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return {i: s for i, s in sorted(shares.items()) if s}


# --------------------------------------------------------------------------- the engine


class _Cart:
    """The cart being priced: what each line still costs and what took what off."""

    def __init__(self, lines: Sequence[CartLine]) -> None:
        self.lines = sorted(lines, key=lambda ln: ln.index)
        self.discount = {ln.index: 0 for ln in self.lines}
        self.breakdown: list[AppliedDiscount] = []

    def remaining(self, line: CartLine) -> int:
        return max(0, line.subtotal - line.discount_before - self.discount[line.index])

    def weights(self, scope: Scope) -> dict[int, int]:
        """What each line the scope covers still costs (lines costing nothing left out)."""
        return {
            ln.index: self.remaining(ln)
            for ln in self.lines
            if scope.covers(ln) and self.remaining(ln) > 0
        }

    def take(self, *, source: str, label: str, kind: str, shares: dict[int, int]) -> None:
        for index, share in shares.items():
            self.discount[index] += share
        self.breakdown.append(
            AppliedDiscount(
                source=source, label=label, kind=kind, amount=sum(shares.values()), lines=shares
            )
        )

    def result(
        self, currency: str, applied: list[str], rejected: list[RejectedCoupon]
    ) -> PricingResult:
        return PricingResult(
            currency=currency,
            lines=tuple(
                LinePrice(
                    index=ln.index,
                    sku=ln.sku,
                    qty=ln.qty,
                    unit_price=ln.unit_price,
                    discount_before=ln.discount_before,
                    discount=self.discount[ln.index],
                )
                for ln in self.lines
            ),
            breakdown=tuple(self.breakdown),
            applied_coupons=tuple(applied),
            rejected_coupons=tuple(rejected),
        )


def _rule_order(rule: PromotionRule) -> tuple[int, str]:
    return (-rule.priority, rule.id)


def _check_lines(lines: Sequence[CartLine]) -> None:
    indexes = [ln.index for ln in lines]
    if len(set(indexes)) != len(indexes):
        raise ValueError("cart lines need distinct indexes")
    for ln in lines:
        if ln.qty <= 0 or ln.unit_price < 0 or ln.discount_before < 0:
            raise ValueError(f"line {ln.index}: quantity must be positive, amounts not negative")


def _line_promotion(rule: PromotionRule, line: CartLine, ctx: CartContext) -> int:
    if not rule.scope.covers(line):
        return 0
    if rule.kind is PromotionKind.TIER_PRICE and (
        ctx.member_tier is None or ctx.member_tier != rule.tier_code
    ):
        return 0
    return line.subtotal * rule.percent // 100


def _apply_line_promotions(cart: _Cart, ctx: CartContext, rules: list[PromotionRule]) -> None:
    shares: dict[str, dict[int, int]] = {}
    for line in cart.lines:
        best_amount, best = 0, None
        for rule in rules:  # in rule order: on a tie the first one keeps the line
            amount = _line_promotion(rule, line, ctx)
            if amount > best_amount:
                best_amount, best = amount, rule
        if best is None:
            continue
        extra = min(best_amount - line.discount_before, cart.remaining(line))
        if extra > 0:
            shares.setdefault(best.id, {})[line.index] = extra
    for rule in rules:
        if rule.id in shares:
            cart.take(source=rule.source, label=rule.name, kind=rule.kind, shares=shares[rule.id])


def _apply_spend_save(cart: _Cart, ctx: CartContext, rules: list[PromotionRule]) -> None:
    best_amount, best = 0, None
    for rule in rules:
        if rule.currency is not None and rule.currency != ctx.currency:
            continue
        weights = cart.weights(rule.scope)
        base = sum(weights.values())
        reached = [t for t in rule.tiers if t.threshold <= base]
        if not reached:
            continue
        tier = max(reached, key=lambda t: (t.threshold, t.amount))
        amount = min(tier.amount, base)
        if amount > best_amount:
            best_amount, best = amount, (rule, weights)
    if best is not None:
        rule, weights = best
        cart.take(
            source=rule.source,
            label=rule.name,
            kind=rule.kind,
            shares=allocate(best_amount, weights),
        )


_STATUS_REJECTIONS = {
    CouponStatus.USED: (Rejection.ALREADY_USED, "the coupon was used already"),
    CouponStatus.HELD: (Rejection.IN_USE, "the coupon is held by another unpaid order"),
    CouponStatus.VOID: (Rejection.VOID, "the coupon was withdrawn"),
    CouponStatus.EXPIRED: (Rejection.EXPIRED, "the coupon has expired"),
}


def _refusal(offer: CouponOffer, ctx: CartContext) -> tuple[Rejection, str] | None:
    """Why the coupon cannot be used in this context at all (whatever the cart holds)."""
    if offer.member_id is not None and offer.member_id != ctx.member_id:
        return Rejection.NOT_YOURS, "a coupon is used by the member it was given to"
    if offer.status in _STATUS_REJECTIONS:
        return _STATUS_REJECTIONS[offer.status]
    if ctx.at < offer.valid_from:
        return Rejection.NOT_YET_VALID, f"the coupon is valid from {offer.valid_from.isoformat()}"
    if ctx.at >= offer.valid_until:
        return Rejection.EXPIRED, "the coupon has expired"
    terms = offer.terms
    if terms.currency != ctx.currency:
        return Rejection.WRONG_CURRENCY, f"the coupon is for {terms.currency} orders"
    if not terms.scope.admits_channel(ctx.channel):
        return Rejection.WRONG_CHANNEL, f"the coupon is not valid on {ctx.channel}"
    if not terms.scope.admits_location(ctx.location):
        where = ctx.location or "an unspecified store"
        return Rejection.WRONG_LOCATION, f"the coupon is not valid at {where}"
    return None


def _coupon_shares(terms: CouponTerms, cart: _Cart) -> dict[int, int] | tuple[Rejection, str]:
    """The coupon's discount per line, or why the cart does not qualify."""
    weights = cart.weights(terms.scope)
    base = sum(weights.values())
    if not weights:
        return Rejection.NOT_ELIGIBLE, "nothing in the cart is eligible for this coupon"
    floor = max(terms.min_spend, terms.threshold if terms.kind is CouponKind.SPEND_SAVE else 0)
    if base < floor:
        return Rejection.MIN_SPEND, f"eligible items come to {base}; the coupon needs {floor}"
    if terms.kind is CouponKind.FREE_ITEM:
        line = next(
            (ln for ln in cart.lines if ln.sku == terms.sku and cart.remaining(ln) > 0), None
        )
        if line is None:
            return Rejection.NOT_ELIGIBLE, f"the cart holds no {terms.sku} to give free"
        unit = cart.remaining(line) // line.qty
        return {line.index: unit} if unit > 0 else (Rejection.NOT_ELIGIBLE, "nothing to give")
    if terms.kind is CouponKind.PERCENT:
        amount = base * terms.percent // 100
        if terms.cap is not None:
            amount = min(amount, terms.cap)
    else:
        amount = min(terms.amount, base)
    shares = allocate(amount, weights)
    return shares or (Rejection.NOT_ELIGIBLE, "the coupon takes nothing off this cart")


def _apply_coupons(
    cart: _Cart, ctx: CartContext, coupons: Sequence[CouponOffer]
) -> tuple[list[str], list[RejectedCoupon]]:
    applied: list[str] = []
    rejected: list[RejectedCoupon] = []
    all_stackable = True
    seen: set[str] = set()
    for offer in coupons:
        if offer.code in seen:
            rejected.append(RejectedCoupon(offer.code, Rejection.DUPLICATE, "given twice"))
            continue
        seen.add(offer.code)
        refusal = _refusal(offer, ctx)
        outcome = _coupon_shares(offer.terms, cart) if refusal is None else refusal
        if isinstance(outcome, tuple):
            rejected.append(RejectedCoupon(offer.code, *outcome))
            continue
        if applied and not (all_stackable and offer.terms.stackable):
            rejected.append(
                RejectedCoupon(
                    offer.code, Rejection.NOT_STACKABLE, "an order takes one coupon of this kind"
                )
            )
            continue
        cart.take(
            source=f"coupon:{offer.code}",
            label=offer.label,
            kind=offer.terms.kind,
            shares=outcome,
        )
        applied.append(offer.code)
        all_stackable = all_stackable and offer.terms.stackable
    return applied, rejected


def price_cart(
    lines: list[CartLine],
    ctx: CartContext,
    promotions: list[PromotionRule],
    coupons: list[CouponOffer],
) -> PricingResult:
    """Price ``lines``: line promotions, then spend-X-save-Y, then coupons (module docstring).

    Raises ValueError for lines that cannot be priced (repeated index, quantity below 1,
    negative amounts)."""
    _check_lines(lines)
    cart = _Cart(lines)
    live = sorted((p for p in promotions if p.live_for(ctx)), key=_rule_order)
    _apply_line_promotions(cart, ctx, [p for p in live if p.kind in LINE_PROMOTIONS])
    _apply_spend_save(cart, ctx, [p for p in live if p.kind is PromotionKind.SPEND_SAVE_TIERS])
    applied, rejected = _apply_coupons(cart, ctx, coupons)
    return cart.result(ctx.currency, applied, rejected)
