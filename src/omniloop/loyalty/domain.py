"""Loyalty rules in plain Python: what moves points and stored value, and why.

The merchant's :class:`Program` says how points are earned (a rate per amount of net paid
money, per channel if it likes, times the member's tier multiplier, rounded one declared
way), what tiers exist (thresholds on net spend over a rolling window), when points expire,
what they are worth as a tender and what bonus a stored-value top-up gets. The functions
below take a program and values and return values; all arithmetic is on integers and
fractions, never floats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from omniloop.shared.money import UnknownCurrency, normalize_currency


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


# --------------------------------------------------------------------------- validation

MAX_TIERS = 20
MAX_CHANNEL_RATES = 50
MAX_TOP_UP_RULES = 20
MAX_EXPIRY_DAYS = 3650
MAX_WINDOW_DAYS = 3650
MAX_POINTS_AMOUNT = 10**12
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
CHANNEL_PATTERN = re.compile(r"^[a-z0-9_-]{1,40}$")


class InvalidProgram(ValueError):
    """A program that breaks a rule; ``field`` names the spot (``tiers.1.threshold``)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _in_range(value: int, low: int, high: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidProgram(f"must be a whole number from {low} to {high}", field=name)


def _check_rate(rate: EarnRate, name: str, *, min_points: int) -> None:
    _in_range(rate.points, min_points, 1_000_000, f"{name}.points")
    _in_range(rate.per_amount, 1, MAX_POINTS_AMOUNT, f"{name}.per_amount")


def validate_program(program: Program) -> Program:
    """Check every rule of a program; raises :class:`InvalidProgram` naming the field.

    Tiers start at 0 and climb strictly; codes are unique; multipliers are 100-1000%
    (a tier never earns less than the base rate), discounts and the redeemable share
    0-100%; rates and the redemption value are positive. A channel rate of 0 points turns
    earning off on that channel."""
    try:
        normalize_currency(program.currency)
    except UnknownCurrency as exc:
        raise InvalidProgram(str(exc), field="currency") from None
    _check_rate(program.earn, "earn", min_points=1)
    if len(program.channel_earn) > MAX_CHANNEL_RATES:
        raise InvalidProgram(f"at most {MAX_CHANNEL_RATES} channels", field="channel_earn")
    for channel, rate in program.channel_earn.items():
        if not CHANNEL_PATTERN.match(channel):
            raise InvalidProgram(
                "a channel is 1-40 lower-case letters, digits, '_' or '-'",
                field=f"channel_earn.{channel}",
            )
        _check_rate(rate, f"channel_earn.{channel}", min_points=0)
    if not program.tiers:
        raise InvalidProgram("at least one tier is needed", field="tiers")
    if len(program.tiers) > MAX_TIERS:
        raise InvalidProgram(f"at most {MAX_TIERS} tiers", field="tiers")
    seen: set[str] = set()
    for i, tier in enumerate(program.tiers):
        where = f"tiers.{i}"
        if not CODE_PATTERN.match(tier.code):
            raise InvalidProgram(
                "a tier code is 1-32 letters, digits, '_' or '-'", field=f"{where}.code"
            )
        if tier.code in seen:
            raise InvalidProgram(f"tier code {tier.code!r} is used twice", field=f"{where}.code")
        seen.add(tier.code)
        if not tier.name.strip() or len(tier.name) > 50:
            raise InvalidProgram("a tier name is 1-50 characters", field=f"{where}.name")
        _in_range(tier.threshold, 0, MAX_POINTS_AMOUNT, f"{where}.threshold")
        if i == 0 and tier.threshold != 0:
            raise InvalidProgram(
                "the first tier starts at 0 so every member has one", field=f"{where}.threshold"
            )
        if i > 0 and tier.threshold <= program.tiers[i - 1].threshold:
            raise InvalidProgram(
                "thresholds must climb strictly from one tier to the next",
                field=f"{where}.threshold",
            )
        _in_range(tier.earn_multiplier_percent, 100, 1000, f"{where}.earn_multiplier_percent")
        _in_range(tier.discount_percent, 0, 100, f"{where}.discount_percent")
    _in_range(program.tier_window_days, 1, MAX_WINDOW_DAYS, "tier_window_days")
    if program.expiry is ExpiryPolicy.DAYS:
        if program.expiry_days is None:
            raise InvalidProgram("is required when expiry is 'days'", field="expiry_days")
        _in_range(program.expiry_days, 1, MAX_EXPIRY_DAYS, "expiry_days")
    elif program.expiry_days is not None:
        raise InvalidProgram("is only for expiry 'days'", field="expiry_days")
    _in_range(program.redeem_points, 1, 1_000_000, "redeem_points")
    _in_range(program.redeem_amount, 1, MAX_POINTS_AMOUNT, "redeem_amount")
    _in_range(program.max_redeem_percent, 0, 100, "max_redeem_percent")
    if len(program.top_up_rules) > MAX_TOP_UP_RULES:
        raise InvalidProgram(f"at most {MAX_TOP_UP_RULES} rules", field="top_up_rules")
    pays: set[int] = set()
    for i, rule in enumerate(program.top_up_rules):
        _in_range(rule.pay, 1, MAX_POINTS_AMOUNT, f"top_up_rules.{i}.pay")
        _in_range(rule.bonus, 0, MAX_POINTS_AMOUNT, f"top_up_rules.{i}.bonus")
        if rule.pay in pays:
            raise InvalidProgram(f"two rules for paying {rule.pay}", field=f"top_up_rules.{i}.pay")
        pays.add(rule.pay)
    return program


# --------------------------------------------------------------------------- stored form


def program_to_config(program: Program) -> dict[str, Any]:
    """The JSON document a program is stored and shown as."""
    return {
        "currency": program.currency,
        "enabled": program.enabled,
        "earn": {"points": program.earn.points, "per_amount": program.earn.per_amount},
        "channel_earn": {
            channel: {"points": rate.points, "per_amount": rate.per_amount}
            for channel, rate in sorted(program.channel_earn.items())
        },
        "rounding": program.rounding.value,
        "tier_window_days": program.tier_window_days,
        "tiers": [
            {
                "code": t.code,
                "name": t.name,
                "threshold": t.threshold,
                "earn_multiplier_percent": t.earn_multiplier_percent,
                "discount_percent": t.discount_percent,
            }
            for t in program.tiers
        ],
        "expiry": program.expiry.value,
        "expiry_days": program.expiry_days,
        "redeem_points": program.redeem_points,
        "redeem_amount": program.redeem_amount,
        "max_redeem_percent": program.max_redeem_percent,
        "top_up_rules": [{"pay": r.pay, "bonus": r.bonus} for r in program.top_up_rules],
    }


def program_from_config(config: Mapping[str, Any]) -> Program:
    """A program from its stored document (validated; InvalidProgram when it is not one)."""
    try:
        program = Program(
            currency=str(config["currency"]),
            enabled=bool(config.get("enabled", True)),
            earn=EarnRate(**config["earn"]),
            channel_earn={
                str(channel): EarnRate(**rate)
                for channel, rate in (config.get("channel_earn") or {}).items()
            },
            rounding=Rounding(config.get("rounding", Rounding.DOWN.value)),
            tier_window_days=int(config.get("tier_window_days", 365)),
            tiers=tuple(Tier(**tier) for tier in config["tiers"]),
            expiry=ExpiryPolicy(config.get("expiry", ExpiryPolicy.END_OF_NEXT_YEAR.value)),
            expiry_days=config.get("expiry_days"),
            redeem_points=int(config["redeem_points"]),
            redeem_amount=int(config["redeem_amount"]),
            max_redeem_percent=int(config["max_redeem_percent"]),
            top_up_rules=tuple(TopUpRule(**rule) for rule in config.get("top_up_rules") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InvalidProgram):
            raise
        raise InvalidProgram(f"not a loyalty program document ({exc})", field="program") from None
    return validate_program(program)


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
