"""Voucher rules without a database: terms, status, redemption amounts, revenue shares, codes."""

from __future__ import annotations

import ast
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import omniloop.vouchers.domain as domain
from omniloop.fulfilment.domain import CodeKind, UnrecognisedCode, recognise
from omniloop.vouchers.domain import (
    InvalidTerms,
    Item,
    RedemptionRefused,
    RefundPolicy,
    Refusal,
    Terms,
    VoucherKind,
    VoucherState,
    VoucherStatus,
    assign_units,
    check_terms,
    code_digest,
    grouped,
    is_untouched,
    masked,
    new_code,
    paid_share,
    parse_code,
    redemption_amount,
    seal,
    status,
    unseal,
    valid_until,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CASH = Terms(kind=VoucherKind.CASH, face_value=10000, validity_days=30)
MEAL = Terms(kind=VoucherKind.SET_MEAL, face_value=12800, validity_days=30, items=(Item("TEA", 2),))
SECRET = b"k" * 32


def voucher(**changes: object) -> VoucherState:
    base = VoucherState(
        kind=VoucherKind.CASH,
        face_value=10000,
        balance=10000,
        valid_until=NOW + timedelta(days=1),
        partial_redemption=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- terms


def test_sound_terms_pass():
    check_terms(CASH, sku="V100", now=NOW)
    check_terms(MEAL, sku="SET2", now=NOW)
    check_terms(replace(CASH, validity_days=None, valid_until=NOW + timedelta(days=1)),
                sku="V100", now=NOW)  # fmt: skip


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (replace(CASH, face_value=0), "face_value"),
        (replace(CASH, validity_days=None), "validity"),
        (replace(CASH, valid_until=NOW + timedelta(days=1)), "validity"),
        (replace(CASH, validity_days=0), "validity.days_after_purchase"),
        (replace(CASH, validity_days=None, valid_until=NOW), "validity.until"),
        (replace(CASH, items=(Item("TEA", 1),)), "items"),
        (replace(MEAL, items=()), "items"),
        (replace(MEAL, partial_redemption=True), "partial_redemption"),
        (replace(MEAL, items=(Item("TEA", 1), Item("TEA", 2))), "items"),
        (replace(MEAL, items=(Item("SET2", 1),)), "items"),
        (replace(MEAL, items=(Item("TEA", 0),)), "items"),
        (replace(CASH, locations=("S1", "S1")), "locations"),
    ],
)
def test_unsound_terms_name_the_field_at_fault(terms, field):
    with pytest.raises(InvalidTerms) as refused:
        check_terms(terms, sku="SET2", now=NOW)
    assert refused.value.field == field


def test_validity_runs_days_from_purchase_or_to_a_fixed_end():
    assert valid_until(CASH, purchased_at=NOW) == NOW + timedelta(days=30)
    fixed = replace(CASH, validity_days=None, valid_until=NOW + timedelta(hours=5))
    assert valid_until(fixed, purchased_at=NOW) == NOW + timedelta(hours=5)


# --------------------------------------------------------------------------- status


def test_status_is_derived_void_first_then_used_up_then_expired():
    past = NOW - timedelta(seconds=1)
    assert status(voucher(), now=NOW) is VoucherStatus.UNREDEEMED
    assert status(voucher(balance=1), now=NOW) is VoucherStatus.PARTIALLY_REDEEMED
    assert status(voucher(balance=0), now=NOW) is VoucherStatus.REDEEMED
    assert status(voucher(valid_until=NOW), now=NOW) is VoucherStatus.EXPIRED
    assert status(voucher(valid_until=past, balance=0), now=NOW) is VoucherStatus.REDEEMED
    assert status(voucher(void=True, balance=0), now=NOW) is VoucherStatus.VOID


def test_only_whole_live_vouchers_are_untouched():
    assert is_untouched(voucher())
    assert is_untouched(voucher(valid_until=NOW - timedelta(days=1)))  # expired: still whole
    assert not is_untouched(voucher(balance=9999))
    assert not is_untouched(voucher(void=True))


# --------------------------------------------------------------------------- redemption


def test_no_amount_takes_what_is_left():
    assert redemption_amount(voucher(balance=4500), location="S1", amount=None, now=NOW) == 4500


def test_a_partial_voucher_takes_any_amount_up_to_its_balance():
    assert redemption_amount(voucher(), location="S1", amount=1, now=NOW) == 1
    assert redemption_amount(voucher(), location="S1", amount=10000, now=NOW) == 10000
    with pytest.raises(RedemptionRefused) as refused:
        redemption_amount(voucher(balance=500), location="S1", amount=501, now=NOW)
    assert refused.value.reason is Refusal.OVER_BALANCE


def test_whole_only_vouchers_refuse_a_part_but_accept_the_whole_as_an_amount():
    whole = voucher(partial_redemption=False)
    assert redemption_amount(whole, location="S1", amount=10000, now=NOW) == 10000
    with pytest.raises(RedemptionRefused) as refused:
        redemption_amount(whole, location="S1", amount=5000, now=NOW)
    assert refused.value.reason is Refusal.WHOLE_ONLY
    meal = voucher(kind=VoucherKind.SET_MEAL, partial_redemption=False)
    with pytest.raises(RedemptionRefused, match="set meal"):
        redemption_amount(meal, location="S1", amount=20000, now=NOW)


@pytest.mark.parametrize(
    ("state", "location", "reason"),
    [
        (voucher(void=True), "S1", Refusal.VOID),
        (voucher(balance=0), "S1", Refusal.USED_UP),
        (voucher(valid_until=NOW), "S1", Refusal.EXPIRED),
        (voucher(locations=("S1", "S2")), "S3", Refusal.NOT_VALID_HERE),
        (voucher(void=True, valid_until=NOW, locations=("S1",)), "S3", Refusal.VOID),
    ],
)
def test_refusals_say_why(state, location, reason):
    with pytest.raises(RedemptionRefused) as refused:
        redemption_amount(state, location=location, amount=None, now=NOW)
    assert refused.value.reason is reason


def test_any_store_when_no_locations_are_listed():
    assert redemption_amount(voucher(locations=()), location="ANY", amount=None, now=NOW)


@pytest.mark.parametrize(
    ("paid", "face", "steps"),
    [(8000, 10000, [3000, 2500, 4500]), (1, 3, [1, 1, 1]), (9999, 7, [2, 2, 3]), (0, 5, [5])],
)
def test_shares_of_the_price_add_up_to_it_exactly(paid, face, steps):
    shares, done = [], 0
    for step in steps:
        shares.append(
            paid_share(paid=paid, face_value=face, redeemed_before=done, redeemed_after=done + step)
        )
        done += step
    assert sum(shares) == paid and all(s >= 0 for s in shares)


# --------------------------------------------------------------------------- codes


def test_codes_are_twelve_digits_from_nine():
    for _ in range(200):
        code = new_code()
        assert len(code) == 12 and code.isdigit() and code[0] == "9"


def test_typed_and_scanned_codes_parse_to_the_digits():
    assert parse_code(" 9123 4567-8901 ") == "912345678901"
    assert parse_code("９１２３４５６７８９０１") == "912345678901"
    assert parse_code("omniloop:voucher:912345678901") == "912345678901"


@pytest.mark.parametrize(
    "raw", ["", "812345678901", "91234567890", "9123456789012", "omniloop:voucher:123", "9x"]
)
def test_anything_else_is_no_voucher_code(raw):
    with pytest.raises(domain.UnrecognisedVoucherCode):
        parse_code(raw)


def test_the_redemption_endpoint_tells_vouchers_from_pickup_codes():
    assert recognise("912345678901").kind is CodeKind.VOUCHER
    assert recognise("9123 4567 8901").value == "912345678901"
    assert recognise("omniloop:voucher:912345678901").kind is CodeKind.VOUCHER
    assert recognise("9123456789").kind is CodeKind.PICKUP  # ten digits: a pickup code
    for raw in ("812345678901", "omniloop:voucher:9123", "91234567890"):
        with pytest.raises(UnrecognisedCode):
            recognise(raw)


def test_a_sealed_code_opens_with_the_secret_and_its_voucher_id_only():
    code, voucher_id = new_code(), uuid.uuid4()
    sealed = seal(SECRET, voucher_id=voucher_id, code=code)
    assert len(sealed) == 11 and sealed != code[1:]
    assert unseal(SECRET, voucher_id=voucher_id, sealed=sealed) == code
    assert unseal(b"x" * 32, voucher_id=voucher_id, sealed=sealed) != code
    assert unseal(SECRET, voucher_id=uuid.uuid4(), sealed=sealed) != code


def test_the_digest_is_keyed_by_the_merchants_secret():
    code = "912345678901"
    assert code_digest(SECRET, code) == code_digest(SECRET, code)
    assert code_digest(SECRET, code) != code_digest(b"x" * 32, code)
    assert code not in code_digest(SECRET, code)


def test_codes_are_shown_grouped_or_masked_to_the_last_four():
    assert grouped("912345678901") == "9123 4567 8901"
    assert masked("8901") == "**** **** 8901"


def test_units_are_numbered_per_sku_and_those_issued_are_skipped():
    lines = [("V", 2, 800), ("S", 1, 1280), ("V", 1, 700)]
    assert assign_units(lines, already={}) == [
        ("V", 1, 800), ("V", 2, 800), ("S", 1, 1280), ("V", 3, 700),
    ]  # fmt: skip
    assert assign_units(lines, already={"V": 2, "S": 1}) == [("V", 3, 700)]
    assert assign_units(lines, already={"V": 3, "S": 1}) == []


def test_refund_policy_defaults_to_unredeemed_refundable():
    assert CASH.refund_policy is RefundPolicy.UNREDEEMED_REFUNDABLE


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in {"fastapi", "sqlalchemy", "pydantic"}}
