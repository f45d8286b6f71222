"""The built-in sandbox provider: a fake gateway that behaves like a real one.

A sandbox payment is paid (or failed) with ``POST /api/v1/sandbox/payments/{id}/succeed``
(``/fail``), standing in for the customer. That records the outcome in ``sandbox_callback``,
an outbox; :func:`deliver_sandbox_callbacks` (a periodic job) POSTs it to
``{base_url}/api/v1/payments/callbacks/sandbox`` like a gateway's asynchronous notification,
and retries with exponential backoff (capped at an hour) until it is answered with a 2xx.

**Signature.** The body is signed exactly like Omniloop's outbound webhooks
(``Omniloop-Signature: t=<unix>,v1=<HMAC-SHA256 hex>``, see :mod:`omniloop.webhooks.domain`)
with a random secret per merchant, made with the merchant's first sandbox payment and kept in
``payment_credential`` (provider ``sandbox``). Per-merchant secrets mean a sandbox callback
forged for one merchant can never move another merchant's orders. Refunds succeed at once.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from omniloop.config import Settings
from omniloop.db import Database
from omniloop.payments.domain import (
    CallbackEvent,
    Outcome,
    RefundStatus,
    decode_event,
    encode_event,
)
from omniloop.payments.errors import InvalidCallback
from omniloop.payments.models import Payment, SandboxCallback
from omniloop.payments.providers import PaymentRequest, ProviderPayment, ProviderRefund
from omniloop.shared.clock import utcnow
from omniloop.webhooks.domain import (
    DEFAULT_TOLERANCE_SECONDS,
    SIGNATURE_HEADER,
    backoff_seconds,
    is_success,
    sign,
    verify,
)

log = logging.getLogger("omniloop.payments.sandbox")

NAME = "sandbox"
CALLBACK_PATH = "/api/v1/payments/callbacks/sandbox"
LEASE_SECONDS = 60.0


class SandboxProvider:
    """A gateway without money: pay URLs and QR payloads point at the simulation routes."""

    name = NAME

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def create_payment(self, payment: PaymentRequest) -> ProviderPayment:
        return ProviderPayment(
            pay_url=f"{self.base_url}/api/v1/sandbox/payments/{payment.payment_id}/succeed",
            qr_payload=(
                f"omniloop-sandbox://pay/{payment.payment_id}"
                f"?amount={payment.amount}&currency={payment.currency}"
            ),
            provider_ref=f"sbx_{payment.payment_id.hex}",
        )

    async def refund(
        self, payment: PaymentRequest, amount: int, refund_id: uuid.UUID
    ) -> ProviderRefund:
        return ProviderRefund(provider_ref=f"sbxr_{refund_id.hex}", status=RefundStatus.SUCCEEDED)

    def callback_merchant(self, headers: Mapping[str, str], body: bytes) -> uuid.UUID | None:
        event = decode_event(body)
        return None if event is None else event.merchant_id

    def verify_callback(
        self, headers: Mapping[str, str], body: bytes, *, secret: str
    ) -> CallbackEvent:
        header = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower()) or ""
        if not verify(secret, header, body, DEFAULT_TOLERANCE_SECONDS, time.time()):
            raise InvalidCallback("the Omniloop-Signature header does not sign this body")
        event = decode_event(body)
        if event is None:
            raise InvalidCallback("the body is not a sandbox payment notification")
        return event


async def deliver_sandbox_callbacks(
    *, db: Database, settings: Settings, http: httpx.AsyncClient | None = None, batch: int = 50
) -> int:
    """POST due sandbox callbacks to the callback route; returns how many were attempted."""
    from omniloop.payments.service import provider_secret

    now = utcnow()
    async with db.uow().read_only() as uow:
        due = list(
            await uow.session.scalars(
                select(SandboxCallback)
                .where(
                    SandboxCallback.delivered_at.is_(None), SandboxCallback.next_attempt_at <= now
                )
                .order_by(SandboxCallback.next_attempt_at)
                .limit(batch)
            )
        )
    if not due:
        return 0
    client = http or httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
    attempted = 0
    try:
        for row in due:
            # Claim with a lease so another process does not send it at the same time.
            async with db.uow() as uow:
                claimed = await uow.session.execute(
                    update(SandboxCallback)
                    .where(
                        SandboxCallback.merchant_id == row.merchant_id,
                        SandboxCallback.id == row.id,
                        SandboxCallback.delivered_at.is_(None),
                        SandboxCallback.next_attempt_at == row.next_attempt_at,
                    )
                    .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
                )
                payment = await uow.session.get(Payment, (row.merchant_id, row.payment_id))
                secret = await provider_secret(uow.session, row.merchant_id, NAME)
                await uow.commit()
            if claimed.rowcount != 1 or payment is None:  # type: ignore[attr-defined]
                continue
            attempted += 1
            body = encode_event(
                CallbackEvent(
                    event_id=str(row.id),
                    merchant_id=row.merchant_id,
                    payment_id=row.payment_id,
                    provider_ref=payment.provider_ref,
                    outcome=Outcome(row.outcome),
                    amount=payment.amount,
                )
            )
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(secret, int(time.time()), body),
            }
            error: str | None
            try:
                response = await client.post(
                    settings.base_url + CALLBACK_PATH, content=body, headers=headers
                )
                error = None if is_success(response.status_code) else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            async with db.uow() as uow:
                current = await uow.session.get(SandboxCallback, (row.merchant_id, row.id))
                if current is not None and current.delivered_at is None:
                    current.attempts += 1
                    current.last_error = error
                    if error is None:
                        current.delivered_at = utcnow()
                    else:
                        delay = backoff_seconds(
                            current.attempts,
                            base_seconds=settings.webhook_backoff_base_seconds,
                            jitter_sample=random.random(),
                        )
                        current.next_attempt_at = utcnow() + timedelta(seconds=delay)
                        log.warning("sandbox callback %s failed: %s", row.id, error)
                    await uow.commit()
    finally:
        if http is None:
            await client.aclose()
    return attempted
