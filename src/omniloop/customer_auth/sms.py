"""The SMS sender interface and the registry of senders by name.

Sign-in never talks to an SMS gateway directly: it hands an :class:`SmsMessage` to the
sender named by ``settings.sms_sender``. To add Aliyun SMS or Tencent Cloud SMS:

1. write a class with the methods of :class:`SmsSender` (map ``message.template`` to the
   gateway's template id and ``message.params`` to its parameters, or send ``message.text``);
2. ``register("aliyun", lambda settings: AliyunSms(...))`` at import of your module (return
   None from the factory when the deployment is not configured for it);
3. set ``OMNILOOP_SMS_SENDER=aliyun``.

``send`` runs inside the caller's transaction: a code is on record exactly when the gateway
took it, and a gateway failure leaves nothing behind (nor counts against the sending limit).
Senders should use short timeouts and raise :class:`SmsNotSent` when the gateway refuses.

The built-in ``sandbox`` sender (only while ``settings.sandbox`` is on) sends nothing: it
writes the message to the ``omniloop.sms`` log and to the ``sandbox_sms`` table, which
``GET /api/v1/sandbox/sms`` reads back for developers and tests.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.config import Settings
from omniloop.customer_auth.errors import SmsNotSent, SmsUnavailable
from omniloop.customer_auth.models import SandboxSms
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id
from omniloop.shared.phone import mask_phone

log = logging.getLogger("omniloop.sms")

SANDBOX = "sandbox"


@dataclass(frozen=True)
class SmsMessage:
    """One message: a template with its parameters, and the same rendered as text."""

    merchant_id: uuid.UUID
    phone: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    text: str = ""


class SmsSender(Protocol):
    """An SMS gateway adapter (see the module docstring for how to add one)."""

    name: str

    async def send(self, message: SmsMessage, *, session: AsyncSession) -> None:
        """Hand ``message`` to the gateway; raise SmsNotSent when it refuses."""
        ...


class SandboxSmsSender:
    """Sends nothing: logs the message and keeps it for ``GET /api/v1/sandbox/sms``."""

    name = SANDBOX

    async def send(self, message: SmsMessage, *, session: AsyncSession) -> None:
        log.info(
            "sandbox SMS to %s (merchant %s): %s",
            mask_phone(message.phone),
            message.merchant_id,
            message.text,
        )
        session.add(
            SandboxSms(
                merchant_id=message.merchant_id,
                id=new_id(),
                phone=message.phone,
                template=message.template,
                params=dict(message.params),
                text=message.text,
                created_at=utcnow(),
            )
        )


SenderFactory = Callable[[Settings], SmsSender | None]

_REGISTRY: dict[str, SenderFactory] = {}


def register(name: str, factory: SenderFactory) -> None:
    """Make a sender available by ``name`` (the factory may return None to disable it)."""
    _REGISTRY[name] = factory


def get_sender(settings: Settings) -> SmsSender:
    """The sender this deployment is configured for, or 503 sms_unavailable."""
    _ensure_builtins()
    factory = _REGISTRY.get(settings.sms_sender)
    sender = factory(settings) if factory is not None else None
    if sender is None:
        raise SmsUnavailable(f"no SMS sender {settings.sms_sender!r} is configured")
    return sender


def _ensure_builtins() -> None:
    if SANDBOX not in _REGISTRY:
        register(SANDBOX, lambda s: SandboxSmsSender() if s.sandbox else None)


__all__ = [
    "SandboxSmsSender",
    "SmsMessage",
    "SmsNotSent",
    "SmsSender",
    "get_sender",
    "register",
]
