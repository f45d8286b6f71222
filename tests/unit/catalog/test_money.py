from __future__ import annotations

import pytest

from omniloop.shared.money import (
    Money,
    UnknownCurrency,
    is_currency,
    minor_unit_exponent,
    normalize_currency,
)


@pytest.mark.parametrize(("code", "exponent"), [("CNY", 2), ("JPY", 0), ("BHD", 3), ("usd", 2)])
def test_minor_unit_exponents_follow_iso_4217(code, exponent):
    assert minor_unit_exponent(code) == exponent


@pytest.mark.parametrize("code", ["XXY", "XAU", "XXX", "CN", "CNYY", "C1Y", "", "元元元"])
def test_codes_that_are_not_shop_currencies_are_refused(code):
    assert not is_currency(code)
    with pytest.raises(UnknownCurrency):
        normalize_currency(code)


def test_currency_codes_are_normalised_to_upper_case():
    assert normalize_currency(" cny ") == "CNY"
    assert Money(1, "hkd").currency == "HKD"


def test_money_is_printed_in_major_units_with_the_currencys_own_precision():
    assert str(Money(1250, "CNY")) == "12.50 CNY"
    assert str(Money(5, "CNY")) == "0.05 CNY"
    assert str(Money(-1250, "CNY")) == "-12.50 CNY"
    assert str(Money(1200, "JPY")) == "1200 JPY"
    assert str(Money(1, "BHD")) == "0.001 BHD"


def test_money_arithmetic_keeps_the_currency_and_refuses_to_mix():
    assert Money(1250, "CNY") + Money(50, "CNY") == Money(1300, "CNY")
    assert Money(1250, "CNY") - Money(1300, "CNY") == Money(-50, "CNY")
    assert Money(1250, "CNY") * 3 == 3 * Money(1250, "CNY") == Money(3750, "CNY")
    assert -Money(5, "CNY") == Money(-5, "CNY")
    assert Money.zero("JPY") == Money(0, "JPY")
    with pytest.raises(ValueError, match="cannot combine"):
        Money(1, "CNY") + Money(1, "USD")


@pytest.mark.parametrize("amount", [12.5, 12.0, "12", True, None])
def test_amounts_are_whole_minor_units(amount):
    with pytest.raises(TypeError):
        Money(amount, "CNY")


def test_money_is_multiplied_by_whole_quantities_only():
    with pytest.raises(TypeError):
        Money(100, "CNY") * 1.5  # type: ignore[operator]
