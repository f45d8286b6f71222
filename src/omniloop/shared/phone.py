"""Phone numbers: normalised to E.164 with the ``phonenumbers`` library."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "CN"


class InvalidPhone(ValueError):
    """Not a valid phone number."""


def normalize_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """``+8613812345678`` for ``138 1234 5678``; InvalidPhone when it is not a real number."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str | None) -> str | None:
    """Hide the middle digits: ``+86138****5678``, ``138****5678``."""
    if not phone:
        return phone
    keep_head = 6 if phone.startswith("+") else 3
    if len(phone) <= keep_head + 4:
        return "*" * len(phone)
    return phone[:keep_head] + "*" * (len(phone) - keep_head - 4) + phone[-4:]
