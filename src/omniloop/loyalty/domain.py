"""Loyalty rules in plain Python: what moves points and stored value, and why.

The merchant's :class:`Program` says how points are earned (a rate per amount of net paid
money, per channel if it likes, times the member's tier multiplier, rounded one declared
way), what tiers exist (thresholds on net spend over a rolling window), when points expire,
what they are worth as a tender and what bonus a stored-value top-up gets. The functions
below take a program and values and return values; all arithmetic is on integers and
fractions, never floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class PointsKind(StrEnum):
    EARN = "earn"  # an order completed
    REVERSE = "reverse"  # a refund took back part of what an order earned
    REDEEM = "redeem"  # spent as a tender on an order
    REDEEM_RETURN = "redeem_return"  # a refund gave tendered points back
    EXPIRE = "expire"
    ADJUST = "adjust"  # an operator's correction or goodwill grant
    MERGE_IN = "merge_in"
    MERGE_OUT = "merge_out"


class WalletKind(StrEnum):
    TOP_UP = "top_up"  # paid principal plus the rule's bonus
    SPEND = "spend"  # a tender on an order
    SPEND_RETURN = "spend_return"  # a refund gave a wallet tender back
    TOP_UP_REFUND = "top_up_refund"  # unspent principal refunded, its bonus forfeited
    MERGE_IN = "merge_in"
    MERGE_OUT = "merge_out"


def split_wallet_spend(amount: int, *, principal: int, bonus: int) -> tuple[int, int]:
    """How much of ``amount`` comes from principal and how much from bonus: in proportion
    to the balances, the bonus share rounded down, so principal and bonus run out together
    (which keeps revenue recognition honest and stops "spend the bonus, refund the rest")."""
    total = principal + bonus
    if amount < 0 or amount > total:
        raise ValueError("amount out of range")
    if total == 0:
        return 0, 0
    from_bonus = amount * bonus // total
    from_principal = amount - from_bonus
    if from_principal > principal:  # rounding pushed principal past what is there
        from_principal, from_bonus = principal, amount - principal
    return from_principal, from_bonus


# --------------------------------------------------------------------------- the program


class Rounding(StrEnum):
    DOWN = "down"
    HALF_UP = "half_up"
    UP = "up"


class ExpiryPolicy(StrEnum):
    NEVER = "never"
    DAYS = "days"  # ``expiry_days`` after earning
    END_OF_NEXT_YEAR = "end_of_next_year"  # earned in 2026: gone when 2027 ends (local time)


@dataclass(frozen=True)
class EarnRate:
    """``points`` for every ``per_amount`` minor units of net paid money."""

    points: int
    per_amount: int


@dataclass(frozen=True)
class Tier:
    """A membership level reached at ``threshold`` minor units of rolling net spend."""

    code: str
    name: str
    threshold: int
    earn_multiplier_percent: int = 100
    discount_percent: int = 0


@dataclass(frozen=True)
class TopUpRule:
    """Pay at least ``pay`` into the wallet, get ``bonus`` on top (储值赠送)."""

    pay: int
    bonus: int


@dataclass(frozen=True)
class Program:
    currency: str
    earn: EarnRate
    tiers: tuple[Tier, ...]
    channel_earn: Mapping[str, EarnRate] = field(default_factory=dict)
    rounding: Rounding = Rounding.DOWN
    tier_window_days: int = 365
    expiry: ExpiryPolicy = ExpiryPolicy.END_OF_NEXT_YEAR
    expiry_days: int | None = None
    redeem_points: int = 100
    redeem_amount: int = 100
    max_redeem_percent: int = 50
    top_up_rules: tuple[TopUpRule, ...] = ()
    enabled: bool = True

    def tier(self, code: str | None) -> Tier | None:
        """The tier with ``code``, if the program still has it."""
        return next((t for t in self.tiers if t.code == code), None)

    def rate_for(self, channel: str | None) -> EarnRate:
        if channel is not None and channel in self.channel_earn:
            return self.channel_earn[channel]
        return self.earn


DEFAULT_PROGRAM = Program(
    currency="CNY",
    earn=EarnRate(points=1, per_amount=100),
    tiers=(
        Tier("normal", "普通", 0, 100, 0),
        Tier("silver", "银卡", 100_000, 110, 0),
        Tier("gold", "金卡", 500_000, 125, 2),
        Tier("black", "黑金", 2_000_000, 150, 5),
    ),
    rounding=Rounding.DOWN,
    expiry=ExpiryPolicy.END_OF_NEXT_YEAR,
    redeem_points=100,
    redeem_amount=100,
    max_redeem_percent=50,
    top_up_rules=(TopUpRule(pay=50_000, bonus=5_000), TopUpRule(pay=100_000, bonus=12_000)),
)
"""1 point per ¥1; 普通/银卡 ¥1,000/金卡 ¥5,000/黑金 ¥20,000; points last until the end of
the year after they were earned; 100 points pay ¥1, up to half an order; top up ¥500 get
¥50, top up ¥1,000 get ¥120."""


def default_program(currency: str) -> Program:
    """The default program in the merchant's currency."""
    return replace(DEFAULT_PROGRAM, currency=currency)


# --------------------------------------------------------------------------- earning


def _round(value: Fraction, mode: Rounding) -> int:
    if mode is Rounding.DOWN:
        return value.numerator // value.denominator
    if mode is Rounding.UP:
        return -(-value.numerator // value.denominator)
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def points_to_earn(
    program: Program, *, amount: int, channel: str | None, tier_code: str | None
) -> int:
    """Points ``amount`` minor units of net paid money earn on ``channel`` for a member of
    ``tier_code``: the channel's rate (or the base rate) times the tier's multiplier,
    rounded the program's way once, at the end."""
    if amount <= 0 or not program.enabled:
        return 0
    rate = program.rate_for(channel)
    tier = program.tier(tier_code)
    multiplier = tier.earn_multiplier_percent if tier is not None else 100
    exact = Fraction(amount * rate.points * multiplier, rate.per_amount * 100)
    return _round(exact, program.rounding)


def points_to_reverse(
    *, earned: int, base_amount: int, refunded_amount: int, already_reversed: int
) -> int:
    """Points a refund takes back, cumulatively: the share of ``earned`` that the money
    refunded so far (of the ``base_amount`` that earned it) had earned, less what earlier
    refunds already took. A full refund takes everything; never negative."""
    if earned <= 0 or base_amount <= 0 or refunded_amount <= 0:
        return 0
    due = earned if refunded_amount >= base_amount else earned * refunded_amount // base_amount
    return max(0, min(due, earned) - max(0, already_reversed))


# --------------------------------------------------------------------------- tiers


def tier_for(program: Program, rolling_spend: int) -> Tier:
    """The highest tier whose threshold ``rolling_spend`` reaches (the first tier for
    anything below, including a negative spend after refunds)."""
    reached = program.tiers[0]
    for tier in program.tiers:
        if rolling_spend >= tier.threshold:
            reached = tier
    return reached


def base_tier(program: Program) -> Tier:
    return program.tiers[0]


# --------------------------------------------------------------------------- expiry


def _zone(tz: str | tzinfo) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def points_expiry(program: Program, earned_at: datetime, tz: str | tzinfo) -> datetime | None:
    """When points earned at ``earned_at`` expire (UTC), or None if they never do. For
    ``end_of_next_year`` the year is the merchant's (``tz``): points earned on 31 December
    at 23:30 in Shanghai count as that year's, whatever the UTC date."""
    if program.expiry is ExpiryPolicy.NEVER:
        return None
    if program.expiry is ExpiryPolicy.DAYS:
        return earned_at.astimezone(UTC) + timedelta(days=program.expiry_days or 0)
    zone = _zone(tz)
    local_year = earned_at.astimezone(zone).year
    return datetime(local_year + 2, 1, 1, tzinfo=zone).astimezone(UTC)


# --------------------------------------------------------------------------- redemption


def points_value(program: Program, points: int) -> int:
    """What ``points`` pay, in minor units (rounded down: a stray point pays nothing)."""
    if points <= 0:
        return 0
    return points * program.redeem_amount // program.redeem_points


def points_needed(program: Program, amount: int) -> int:
    """The fewest points that pay ``amount`` minor units."""
    if amount <= 0:
        return 0
    return -(-amount * program.redeem_points // program.redeem_amount)


def max_redeemable_points(program: Program, order_total: int) -> int:
    """The most points an order of ``order_total`` takes: worth at most the program's
    share of the total, and no more points than that value needs."""
    if not program.enabled or order_total <= 0:
        return 0
    cap = order_total * program.max_redeem_percent // 100
    return cap * program.redeem_points // program.redeem_amount


# --------------------------------------------------------------------------- top-ups


def top_up_bonus(program: Program, amount: int) -> tuple[int, TopUpRule | None]:
    """The bonus a top-up of ``amount`` earns and the rule that gives it: the most generous
    rule whose ``pay`` the amount reaches (rules do not add up)."""
    eligible = [r for r in program.top_up_rules if 0 < r.pay <= amount]
    if not program.enabled or not eligible:
        return 0, None
    best = max(eligible, key=lambda r: (r.bonus, r.pay))
    return best.bonus, best
