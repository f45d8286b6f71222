import hashlib
import hmac

import pytest

from omniloop.webhooks.domain import parse_signature, sign, verify

SECRET = "whsec_0123456789abcdef"
BODY = b'{"id":"e1","type":"inventory.adjusted","data":{"delta":-2}}'
T = 1_700_000_000


def test_signature_is_hmac_sha256_of_timestamp_dot_raw_body_in_hex():
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, T, BODY) == f"t={T},v1={expected}"


def test_a_signed_body_verifies_within_the_tolerance():
    header = sign(SECRET, T, BODY)
    assert verify(SECRET, header, BODY, 300, T + 299)
    assert verify(SECRET, header, BODY, 300, T - 299)


def test_a_signature_older_or_newer_than_the_tolerance_is_refused():
    header = sign(SECRET, T, BODY)
    assert not verify(SECRET, header, BODY, 300, T + 301)
    assert not verify(SECRET, header, BODY, 300, T - 301)


def test_one_changed_byte_of_the_body_breaks_the_signature():
    header = sign(SECRET, T, BODY)
    assert not verify(SECRET, header, BODY.replace(b"-2", b"-3"), 300, T)
    assert not verify(SECRET, header, BODY + b" ", 300, T)


def test_another_secret_does_not_verify():
    assert not verify("whsec_another_secret_x", sign(SECRET, T, BODY), BODY, 300, T)


def test_a_replayed_signature_with_a_forged_timestamp_is_refused():
    digest = sign(SECRET, T, BODY).split("v1=")[1]
    assert not verify(SECRET, f"t={T + 1000},v1={digest}", BODY, 300, T + 1000)


def test_any_matching_v1_entry_verifies_so_secrets_can_be_rotated():
    good = sign(SECRET, T, BODY).split("v1=")[1]
    header = f"t={T},v1={'0' * 64},v1={good}"
    assert verify(SECRET, header, BODY, 300, T)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "t=,v1=abc",
        f"t={T}",
        "v1=abc",
        f"t=abc,v1={'0' * 64}",
        f"t={T},t={T},v1={'0' * 64}",
        f"t=-{T},v1={'0' * 64}",
        f"t={'9' * 40},v1={'0' * 64}",
    ],
)
def test_malformed_headers_never_verify_and_never_raise(header):
    assert not verify(SECRET, header, BODY, 300, T)


def test_parse_signature_reads_the_timestamp_and_every_v1_entry():
    assert parse_signature("t=12, v1=aa ,v0=zz,v1=bb") == (12, ["aa", "bb"])
