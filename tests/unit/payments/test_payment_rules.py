import ast
import time
import uuid
from pathlib import Path

import pytest

import omniloop.payments.domain as domain_module
from omniloop.config import Settings
from omniloop.payments.domain import (
    CallbackEvent,
    Outcome,
    PaymentStatus,
    applies,
    decode_event,
    encode_event,
)
from omniloop.payments.errors import InvalidCallback, UnknownProvider
from omniloop.payments.providers import PaymentRequest, get_provider
from omniloop.payments.sandbox import SandboxProvider
from omniloop.webhooks.domain import SIGNATURE_HEADER, sign

EVENT = CallbackEvent(
    event_id="e1",
    merchant_id=uuid.uuid4(),
    payment_id=uuid.uuid4(),
    provider_ref="sbx_1",
    outcome=Outcome.SUCCEEDED,
    amount=4500,
)


def test_only_a_pending_payment_takes_an_outcome():
    assert applies(PaymentStatus.PENDING)
    assert not applies(PaymentStatus.SUCCEEDED)
    assert not applies(PaymentStatus.FAILED)


def test_callback_body_round_trips():
    assert decode_event(encode_event(EVENT)) == EVENT


@pytest.mark.parametrize("body", [b"", b"[]", b"{}", b'{"outcome": "maybe"}', b"\xff"])
def test_garbage_is_not_an_event(body):
    assert decode_event(body) is None


def test_sandbox_verifies_its_own_signature_and_nothing_else():
    sandbox = SandboxProvider("http://x")
    body = encode_event(EVENT)
    good = {SIGNATURE_HEADER: sign("s3cret", int(time.time()), body)}
    assert sandbox.verify_callback(good, body, secret="s3cret") == EVENT
    assert sandbox.callback_merchant(good, body) == EVENT.merchant_id
    with pytest.raises(InvalidCallback):
        sandbox.verify_callback(good, body, secret="other")
    with pytest.raises(InvalidCallback):
        sandbox.verify_callback(good, body.replace(b"4500", b"1"), secret="s3cret")
    stale = {SIGNATURE_HEADER: sign("s3cret", int(time.time()) - 3600, body)}
    with pytest.raises(InvalidCallback):
        sandbox.verify_callback(stale, body, secret="s3cret")


async def test_sandbox_payment_points_at_the_simulation_route():
    request = PaymentRequest(
        merchant_id=uuid.uuid4(),
        payment_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        order_number="N1",
        amount=100,
        currency="CNY",
    )
    opened = await SandboxProvider("https://shop.example/").create_payment(request)
    assert opened.pay_url == (
        f"https://shop.example/api/v1/sandbox/payments/{request.payment_id}/succeed"
    )
    assert str(request.payment_id) in opened.qr_payload


def test_sandbox_provider_exists_only_when_the_sandbox_is_on():
    assert get_provider("sandbox", Settings(sandbox=True)).name == "sandbox"
    with pytest.raises(UnknownProvider):
        get_provider("sandbox", Settings(sandbox=False))
    with pytest.raises(UnknownProvider):
        get_provider("alipay", Settings())


def test_domain_imports_neither_web_nor_database():
    tree = ast.parse(Path(domain_module.__file__).read_text())
    names = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert not names & {"fastapi", "sqlalchemy", "starlette"}
