"""Member code rules: shape, signature, parsing, and the scan lockout."""

from __future__ import annotations

import ast
import inspect
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import omniloop.member_codes.domain as domain
from omniloop.member_codes.domain import (
    MalformedMemberCode,
    code_hint,
    compose,
    is_authentic,
    new_code_id,
    parse,
    qr_payload,
    scans_left,
    scans_locked_until,
)

SECRET = b"m" * 32
MERCHANT = uuid.UUID("6b0d273a-a5ec-4c05-be56-d339ed252fd8")
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def code() -> str:
    return compose(SECRET, merchant_id=MERCHANT, code_id=new_code_id())


def test_a_code_is_18_digits_with_the_member_code_prefix():
    c = code()
    assert len(c) == 18 and c.isdigit() and c.startswith(domain.PREFIX)


def test_a_code_is_the_same_for_the_same_row_and_differs_between_rows():
    code_id = new_code_id()
    assert compose(SECRET, merchant_id=MERCHANT, code_id=code_id) == compose(
        SECRET, merchant_id=MERCHANT, code_id=code_id
    )
    assert len({code() for _ in range(500)}) == 500


def test_nothing_about_the_member_goes_into_a_code():
    assert set(inspect.signature(compose).parameters) == {"secret", "merchant_id", "code_id"}


def test_only_the_merchants_secret_makes_authentic_codes():
    c = code()
    assert is_authentic(SECRET, merchant_id=MERCHANT, code=c)
    assert not is_authentic(b"x" * 32, merchant_id=MERCHANT, code=c)
    assert not is_authentic(SECRET, merchant_id=uuid.uuid4(), code=c)
    for i in range(2, 18):
        altered = c[:i] + str((int(c[i]) + 1) % 10) + c[i + 1 :]
        assert not is_authentic(SECRET, merchant_id=MERCHANT, code=altered), i


def test_random_guesses_are_almost_never_authentic():
    guesses = [f"88{i:016d}" for i in range(0, 10**16, 10**16 // 2000)]
    forged = sum(is_authentic(SECRET, merchant_id=MERCHANT, code=g) for g in guesses)
    assert forged <= 1


def test_typed_scanned_and_full_width_codes_parse_alike():
    c = code()
    assert parse(c) == c
    assert parse(f" {c[:6]} {c[6:12]}-{c[12:]} ") == c
    assert parse(qr_payload(c)) == c
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in c)
    assert parse(full_width) == c


@pytest.mark.parametrize("text", ["", "88", "12" + "3" * 16, "88" + "1" * 17, "88abc", "x" * 18])
def test_anything_else_is_malformed(text):
    with pytest.raises(MalformedMemberCode):
        parse(text)


def test_the_scan_log_hint_shows_only_the_last_two_digits():
    assert code_hint("881234567890123456") == "*" * 16 + "56"
    assert code_hint("12") == "**"


def test_five_unknown_codes_within_ten_minutes_lock_until_the_first_ages_out():
    failures = [NOW - timedelta(minutes=m) for m in (9, 7, 5, 3, 1)]
    assert scans_locked_until(failures[1:], now=NOW) is None
    assert scans_left(failures[1:], now=NOW) == 1
    assert scans_locked_until(failures, now=NOW) == NOW + timedelta(minutes=1)
    assert scans_left(failures, now=NOW) == 0
    assert scans_locked_until(failures, now=NOW + timedelta(minutes=1)) is None


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in {"fastapi", "sqlalchemy", "pydantic"}}
