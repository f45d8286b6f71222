"""Sign-in rules: code shape, sending limits, challenge states, token shapes."""

from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import omniloop.customer_auth.domain as domain
from omniloop.customer_auth import tokens
from omniloop.customer_auth.domain import (
    ChallengeState,
    attempts_left,
    challenge_state,
    looks_like_jwt,
    new_otp,
    next_send_at,
    otp_digest,
    otp_matches,
    seconds_until,
)
from omniloop.customer_auth.errors import InvalidCustomerToken

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_codes_are_six_digits_and_vary():
    codes = {new_otp() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190


def test_a_code_is_kept_as_a_digest_bound_to_its_challenge_and_phone():
    secret, cid = b"s" * 32, uuid.uuid4()
    digest = otp_digest(secret, challenge_id=cid, phone="+8613800138000", code="123456")
    assert "123456" not in digest
    ok = {"challenge_id": cid, "phone": "+8613800138000", "code": "123456", "digest": digest}
    assert otp_matches(secret, **ok)
    assert not otp_matches(secret, **{**ok, "code": "123457"})
    assert not otp_matches(secret, **{**ok, "phone": "+8613900139000"})
    assert not otp_matches(secret, **{**ok, "challenge_id": uuid.uuid4()})
    assert not otp_matches(b"t" * 32, **ok)


def test_a_phone_may_be_sent_a_code_when_none_went_out_in_the_last_minute():
    assert next_send_at([], now=NOW) is None
    assert next_send_at([ago(60)], now=NOW) is None
    assert next_send_at([ago(59)], now=NOW) == ago(59) + timedelta(seconds=60)


def test_a_phone_gets_at_most_five_codes_an_hour():
    four = [ago(3000), ago(2000), ago(1000), ago(120)]
    assert next_send_at(four, now=NOW) is None
    five = [ago(3500), *four]
    assert next_send_at(five, now=NOW) == ago(3500) + timedelta(hours=1)
    assert next_send_at([ago(3600), *four], now=NOW) is None, "older than an hour: forgotten"


def test_retry_after_is_whole_seconds_and_at_least_one():
    assert seconds_until(NOW + timedelta(seconds=1.2), now=NOW) == 2
    assert seconds_until(NOW, now=NOW) == 1


@pytest.mark.parametrize(
    ("expires_in", "consumed", "wrong", "state"),
    [
        (60, False, 0, ChallengeState.LIVE),
        (60, False, 4, ChallengeState.LIVE),
        (60, False, 5, ChallengeState.EXHAUSTED),
        (0, False, 0, ChallengeState.EXPIRED),
        (60, True, 0, ChallengeState.USED),
        (-60, True, 5, ChallengeState.USED),
    ],
)
def test_challenge_states(expires_in, consumed, wrong, state):
    assert (
        challenge_state(
            expires_at=NOW + timedelta(seconds=expires_in),
            consumed_at=NOW if consumed else None,
            wrong_attempts=wrong,
            now=NOW,
        )
        is state
    )


def test_attempts_left_counts_down_to_zero():
    assert [attempts_left(n) for n in range(7)] == [5, 4, 3, 2, 1, 0, 0]


def test_jwts_and_api_keys_are_told_apart_by_shape():
    assert looks_like_jwt("eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl")
    assert not looks_like_jwt("olk_QPrL5sDUb4SF_2r8qbNYCOL_eIRj04cH8InjJaq7yXI")
    assert not looks_like_jwt("a.b")
    assert not looks_like_jwt("a.b.c.d")
    assert not looks_like_jwt("a.b+c.d")


def test_a_token_round_trips_and_refuses_another_secret_or_merchant():
    merchant, member = uuid.uuid4(), uuid.uuid4()
    token, issued = tokens.issue(
        b"k" * 32, merchant_id=merchant, member_id=member, now=datetime.now(UTC),
        ttl=timedelta(minutes=15),
    )  # fmt: skip
    assert tokens.claimed_merchant(token) == merchant
    claims = tokens.verify(token, b"k" * 32, merchant_id=merchant)
    assert claims.member_id == member and claims.token_id == issued.token_id
    with pytest.raises(InvalidCustomerToken):
        tokens.verify(token, b"x" * 32, merchant_id=merchant)
    with pytest.raises(InvalidCustomerToken):
        tokens.verify(token, b"k" * 32, merchant_id=uuid.uuid4())


def test_an_expired_token_is_refused():
    token, _ = tokens.issue(
        b"k" * 32, merchant_id=uuid.uuid4(), member_id=uuid.uuid4(),
        now=datetime.now(UTC) - timedelta(hours=1), ttl=timedelta(minutes=15),
    )  # fmt: skip
    with pytest.raises(InvalidCustomerToken, match="expired"):
        tokens.verify(token, b"k" * 32, merchant_id=tokens.claimed_merchant(token))


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in {"fastapi", "sqlalchemy", "pydantic"}}
