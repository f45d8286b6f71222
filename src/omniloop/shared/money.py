"""Money as integer minor units of an ISO 4217 currency.

Amounts are never floats: 12.50 CNY is ``Money(1250, "CNY")`` and 1200 JPY is
``Money(1200, "JPY")``, since the yen has no minor unit. Currency codes and their minor-unit
exponents come from the ``iso4217`` package (the maintained ISO 4217 list). Codes without
a minor unit in that list (gold ``XAU``, the testing code ``XTS``, ``XXX``...) are not money
a shop prices in, so they are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from iso4217 import Currency

MAX_AMOUNT = 10**12
"""The largest amount accepted anywhere, in minor units (ten billion yuan)."""


class UnknownCurrency(ValueError):
    """A code that is not an ISO 4217 currency shops can price in."""


@cache
def _exponents() -> dict[str, int]:
    """Minor-unit exponent of every ISO 4217 currency that has one."""
    return {c.code: c.exponent for c in Currency if isinstance(c.exponent, int)}


def normalize_currency(code: str) -> str:
    """The upper-case ISO 4217 code for ``code``, or :class:`UnknownCurrency`."""
    upper = code.strip().upper() if isinstance(code, str) else ""
    if len(upper) != 3 or not upper.isascii() or not upper.isalpha():
        raise UnknownCurrency(f"{code!r} is not a three-letter ISO 4217 currency code")
    if upper not in _exponents():
        raise UnknownCurrency(f"{upper!r} is not an ISO 4217 currency")
    return upper


def is_currency(code: str) -> bool:
    try:
        normalize_currency(code)
    except UnknownCurrency:
        return False
    return True


def minor_unit_exponent(code: str) -> int:
    """Digits after the decimal point: CNY 2, JPY 0, BHD 3."""
    return _exponents()[normalize_currency(code)]


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency; arithmetic never mixes currencies."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"amount must be an integer of minor units, not {self.amount!r}")
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("money is multiplied by whole quantities only")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        """``12.50 CNY``, ``1200 JPY``: the major-unit amount a person reads."""
        exponent = minor_unit_exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, fraction = divmod(abs(self.amount), 10**exponent)
        text = f"{whole}.{fraction:0{exponent}d}" if exponent else str(whole)
        return f"{sign}{text} {self.currency}"
