"""The payment provider interface and the registry of providers by name.

Order code never talks to a gateway: :mod:`omniloop.payments.service` does, through this
protocol. To add WeChat Pay or Alipay:

1. write a class with the methods of :class:`PaymentProvider` (``create_payment`` calls the
   gateway's unified-order / precreate API and returns its ``code_url`` or ``qr_code`` as
   ``qr_payload``; ``refund`` calls its refund API; ``verify_callback`` checks the gateway's
   signature over the raw notification and maps it to a :class:`CallbackEvent`);
2. ``register("wechat_pay", lambda settings: WeChatPay(...))`` at import of your module
   (return None from the factory when the deployment is not configured for it);
3. route the gateway's notifications to ``POST /api/v1/payments/callbacks/<name>``.

``verify_callback`` receives the merchant's secret for the provider (the API keys or
certificates of a real gateway; for the sandbox a random per-merchant secret kept in
``payment_credential``). It must raise :class:`InvalidCallback` for anything it cannot
verify: the callback route answers 401 and changes nothing. ``callback_merchant`` names the
merchant whose secret to use, read from the (not yet trusted) notification.

Provider calls run inside the caller's database transaction so that a refund is booked
exactly when the gateway accepted it; adapters should use short timeouts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from omniloop.config import Settings
from omniloop.payments.domain import CallbackEvent, RefundStatus
from omniloop.payments.errors import UnknownProvider


@dataclass(frozen=True)
class PaymentRequest:
    """What a provider is told about a payment it should collect."""

    merchant_id: uuid.UUID
    payment_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    amount: int
    currency: str
    provider_ref: str | None = None


@dataclass(frozen=True)
class ProviderPayment:
    pay_url: str
    qr_payload: str
    provider_ref: str


@dataclass(frozen=True)
class ProviderRefund:
    provider_ref: str
    status: RefundStatus


class PaymentProvider(Protocol):
    """A payment gateway adapter (see the module docstring for how to add one)."""

    name: str

    async def create_payment(self, payment: PaymentRequest) -> ProviderPayment:
        """Open a payment at the gateway; the customer pays via ``pay_url`` or the QR code."""
        ...

    async def refund(
        self, payment: PaymentRequest, amount: int, refund_id: uuid.UUID
    ) -> ProviderRefund:
        """Refund ``amount`` of a succeeded payment; ``refund_id`` makes retries idempotent."""
        ...

    def callback_merchant(self, headers: Mapping[str, str], body: bytes) -> uuid.UUID | None:
        """Which merchant's secret verifies this notification (None: cannot tell)."""
        ...

    def verify_callback(
        self, headers: Mapping[str, str], body: bytes, *, secret: str
    ) -> CallbackEvent:
        """The verified event in a notification; raises InvalidCallback otherwise."""
        ...


ProviderFactory = Callable[[Settings], PaymentProvider | None]

_REGISTRY: dict[str, ProviderFactory] = {}


def register(name: str, factory: ProviderFactory) -> None:
    """Make a provider available by ``name`` (the factory may return None to disable it)."""
    _REGISTRY[name] = factory


def get_provider(name: str, settings: Settings) -> PaymentProvider:
    """The provider called ``name`` in this deployment, or 422 unknown_provider."""
    _ensure_builtins()
    factory = _REGISTRY.get(name)
    provider = factory(settings) if factory is not None else None
    if provider is None:
        raise UnknownProvider(f"unknown payment provider {name!r}", field="provider")
    return provider


def _ensure_builtins() -> None:
    if "sandbox" not in _REGISTRY:
        from omniloop.payments.sandbox import SandboxProvider

        register("sandbox", lambda s: SandboxProvider(s.base_url) if s.sandbox else None)
