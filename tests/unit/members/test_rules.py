"""Member rules that need no database: masking, who sees personal data, join tokens."""

import ast
import uuid
from pathlib import Path

import pytest

from omniloop.members import domain
from omniloop.members.domain import CHANNEL_PATTERN, mask_name
from omniloop.members.errors import InvalidJoinToken
from omniloop.members.join import _payload, _signature, parse_join_token
from omniloop.merchants.domain import Principal, Role
from omniloop.shared.phone import mask_phone


def test_a_masked_name_keeps_only_its_first_character():
    assert mask_name("王小明") == "王*"
    assert mask_name("Alice") == "A*"
    assert mask_name(None) is None and mask_name("") == ""


def test_a_masked_phone_keeps_country_prefix_and_last_four_digits():
    assert mask_phone("+8613800138000") == "+86138****8000"


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.OWNER, True),
        (Role.OPERATOR, True),
        (Role.INTEGRATOR, True),
        (Role.STORE_STAFF, False),
        (Role.CUSTOMER, True),
    ],
)
def test_only_store_staff_see_members_personal_data_masked(role, sees):
    member_id = uuid.uuid4() if role is Role.CUSTOMER else None
    principal = Principal(
        merchant_id=uuid.uuid4(), key_id=uuid.uuid4(), role=role, member_id=member_id
    )
    assert principal.may_see_personal_data is sees


def test_channel_names_are_lowercase_identifiers():
    for good in ("pos", "own_app", "meituan", "mini_program"):
        assert CHANNEL_PATTERN.match(good)
    for bad in ("", "P", "POS", "own-app", "1pos", "x" * 41):
        assert not CHANNEL_PATTERN.match(bad)


def test_a_join_token_names_its_merchant_and_store_in_clear():
    merchant_id = uuid.uuid4()
    payload = _payload(merchant_id, "SH-01.a")
    token = f"{payload}.{_signature(b'k' * 32, payload)}"
    assert parse_join_token(token) == (merchant_id, "SH-01.a")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "2.00000000000000000000000000000000.UzE.sig",  # unknown version
        "1.not-a-uuid.UzE.sig",
        "1.00000000000000000000000000000000.%%%.sig",
        "1.00000000000000000000000000000000..sig",  # no store
        "1.00000000000000000000000000000000.UzE",  # no signature part
    ],
)
def test_a_malformed_join_token_is_refused(token):
    with pytest.raises(InvalidJoinToken) as refused:
        parse_join_token(token)
    assert refused.value.status == 422 and refused.value.code == "invalid_join_token"


def test_a_join_token_signature_depends_on_the_secret_and_the_store():
    merchant_id = uuid.uuid4()
    payload = _payload(merchant_id, "S1")
    assert _signature(b"a" * 32, payload) != _signature(b"b" * 32, payload)
    assert _signature(b"a" * 32, payload) != _signature(b"a" * 32, _payload(merchant_id, "S2"))


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in {"fastapi", "sqlalchemy", "pydantic"}}
