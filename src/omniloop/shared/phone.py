"""Phone numbers: normalised to E.164 with the ``phonenumbers`` library."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "CN"


class InvalidPhone(ValueError):
    """Not a valid phone number."""


def normalize_phone(raw: str, *, region: str = DEFAULT_REGION, allow_extension: bool = True) -> str:
    """``+8613812345678`` for ``138 1234 5678``; InvalidPhone when it is not a real number.

    With ``allow_extension=False`` a number with an extension is refused rather than cut
    short: platforms hide customers behind shared virtual numbers with extensions
    (``13812345678,1234``), which must never identify a person."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None
    if parsed.extension and not allow_extension:
        raise InvalidPhone(f"{raw!r} has an extension: a shared virtual number")
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


def contact_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """A number to call, in E.164, keeping an extension as ``,<ext>`` (``+8613812345678,1234``)
    so that a shared virtual number is never mistaken for the customer's own."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None
    e164 = normalize_phone(raw, region=region)
    return f"{e164},{parsed.extension}" if parsed.extension else e164
