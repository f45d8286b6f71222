"""Reading platform fields in plain Python: text, ids, names, addresses, coordinates.

Every reader bounds what it returns and raises :class:`~.domain.PushInvalid` (the push is
then held for review) when a field cannot be read; money and quantities are read by
:func:`~.domain.yuan_to_fen` and :func:`~.domain.quantity`.
"""

from __future__ import annotations

from omniloop.channels.domain import (
    MAX_CODE_LENGTH,
    MAX_TEXT_LENGTH,
    PushInvalid,
    PushKind,
    to_decimal,
)

_SALUTATIONS = ("先生", "女士", "小姐")


def text(value: object, *, limit: int = MAX_TEXT_LENGTH) -> str | None:
    """A field as trimmed text within ``limit`` characters, or None when empty."""
    if value is None:
        return None
    result = str(value).strip()
    return result[:limit] or None


def identifier(value: object, *, field: str, kind: PushKind) -> str:
    """A platform id as a string (big integers stay exact), required and bounded."""
    result = text(value, limit=MAX_CODE_LENGTH + 1)
    if result is None:
        raise PushInvalid(f"{field} is missing", kind=kind)
    if len(result) > MAX_CODE_LENGTH:
        raise PushInvalid(f"{field} is longer than {MAX_CODE_LENGTH} characters", kind=kind)
    return result


def split_recipient_name(raw: str | None) -> tuple[str | None, str | None]:
    """``张(先生)`` -> ``("张", "先生")``; full-width brackets too; other names unchanged."""
    if not raw:
        return None, None
    name = raw.strip()
    for opening, closing in (("(", ")"), ("（", "）")):
        for salutation in _SALUTATIONS:
            suffix = f"{opening}{salutation}{closing}"
            if name.endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)].strip(), salutation
    return name or None, None


def split_address(raw: str | None) -> tuple[str | None, str | None]:
    """``"<typed address>@#<geocoded address>"`` -> both parts (the suffix is optional)."""
    if not raw:
        return None, None
    typed, sep, geocoded = raw.partition("@#")
    return (typed.strip() or None), (geocoded.strip() or None) if sep else None


def coordinate(value: object, *, field: str, limit: int) -> float | None:
    """Decimal degrees; integers in millionths of a degree (as some APIs send) are scaled."""
    if value is None or value == "":
        return None
    number = to_decimal(value, field=field)
    if abs(number) > limit and number == number.to_integral_value():
        number = number / 1_000_000
    if abs(number) > limit:
        raise PushInvalid(f"{field} {value!r} is not a coordinate")
    return float(number)
