"""What makes a loyalty program valid, and its stored form (plain Python).

A program is checked as a whole before it is stored (:func:`validate_program` raises
:class:`InvalidProgram` naming the field), and kept as a JSON document that reads back
into the same :class:`~omniloop.loyalty.domain.Program`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from omniloop.loyalty.domain import (
    EarnRate,
    ExpiryPolicy,
    Program,
    Rounding,
    Tier,
    TopUpRule,
)
from omniloop.shared.money import UnknownCurrency, normalize_currency

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
