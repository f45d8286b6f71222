"""Prepaid voucher rules (团购券), in plain Python.

A voucher product sells a catalog SKU (its catalog price is what the customer pays) and
describes what each unit sold is worth in the store:

- ``cash`` (代金券): a face value spent in one go or, where the product allows it, over
  several visits until the balance is zero;
- ``set_meal`` (套餐券): listed items, redeemed whole. Its face value (what the set is worth,
  shown to the customer) defaults to the SKU's price.

Every voucher carries a copy of its product's terms (face value, validity, stores, refund
policy, campaign), so changing a product changes what is sold next, never what was sold.

Codes are 12 digits, ``9`` then 11 random digits from :mod:`secrets` (pickup codes are 10
digits, so the redemption endpoint tells them apart), or ``omniloop:voucher:<code>`` in a QR
code. The database keeps no code in clear: a keyed digest (HMAC under the merchant's
``voucher_code`` secret) to find a code presented at a store, the last four digits for
display, and the random digits sealed under the same secret with a keystream drawn from the
voucher's id, so the order's owner can be shown the code again.

Status is derived, never stored: ``void`` (refunded), else ``redeemed`` (balance zero), else
``expired`` (past ``valid_until``: no job flips it), else ``partially_redeemed`` or
``unredeemed``. Only untouched vouchers (whole balance, not void) can be refunded, and only
under the ``unredeemed_refundable`` policy.

Revenue: a redemption consumes a share of what the customer paid for the voucher, counted so
that the shares of all its redemptions add up to the price paid exactly
(:func:`paid_share`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

PREFIX = "9"
RANDOM_DIGITS = 11
CODE_LENGTH = len(PREFIX) + RANDOM_DIGITS
QR_PREFIX = "omniloop:voucher:"
CODE_PATTERN = re.compile(rf"^{PREFIX}[0-9]{{{RANDOM_DIGITS}}}$")
SECRET_PURPOSE = "voucher_code"

MAX_VALIDITY_DAYS = 3650
MAX_ITEMS = 50
MAX_LOCATIONS = 500

_SEPARATORS = re.compile(r"[\s\-]+")


class VoucherKind(StrEnum):
    CASH = "cash"
    SET_MEAL = "set_meal"


class RefundPolicy(StrEnum):
    UNREDEEMED_REFUNDABLE = "unredeemed_refundable"
    NON_REFUNDABLE = "non_refundable"


class VoucherStatus(StrEnum):
    UNREDEEMED = "unredeemed"
    PARTIALLY_REDEEMED = "partially_redeemed"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    VOID = "void"


class InvalidTerms(ValueError):
    """Voucher product terms that do not hang together; ``field`` names the culprit."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class RedemptionRefused(ValueError):
    """A voucher that cannot be redeemed as asked; ``reason`` is a :class:`Refusal`."""

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Refusal(StrEnum):
    VOID = "void"
    USED_UP = "used_up"
    EXPIRED = "expired"
    NOT_VALID_HERE = "not_valid_here"
    WHOLE_ONLY = "whole_only"
    OVER_BALANCE = "over_balance"


class UnrecognisedVoucherCode(ValueError):
    """The text is not shaped like a voucher code."""


# --------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class Item:
    sku: str
    qty: int


@dataclass(frozen=True)
class Terms:
    """What one voucher of a product is worth, where and until when."""

    kind: VoucherKind
    face_value: int
    validity_days: int | None = None
    valid_until: datetime | None = None
    items: tuple[Item, ...] = ()
    partial_redemption: bool = False
    locations: tuple[str, ...] = ()
    refund_policy: RefundPolicy = RefundPolicy.UNREDEEMED_REFUNDABLE


def check_terms(terms: Terms, *, sku: str, now: datetime) -> None:
    """Refuse terms that cannot be sold (:class:`InvalidTerms`)."""
    if terms.face_value < 1:
        raise InvalidTerms("a voucher's face value is at least 1 minor unit", field="face_value")
    if (terms.validity_days is None) == (terms.valid_until is None):
        raise InvalidTerms(
            "give validity as days_after_purchase or until, exactly one", field="validity"
        )
    if terms.validity_days is not None and not 1 <= terms.validity_days <= MAX_VALIDITY_DAYS:
        raise InvalidTerms(
            f"days_after_purchase is 1 to {MAX_VALIDITY_DAYS}", field="validity.days_after_purchase"
        )
    if terms.valid_until is not None and terms.valid_until <= now:
        raise InvalidTerms("a fixed validity must end in the future", field="validity.until")
    if terms.kind is VoucherKind.SET_MEAL:
        if not terms.items:
            raise InvalidTerms("a set meal lists its items", field="items")
        if terms.partial_redemption:
            raise InvalidTerms(
                "a set meal is redeemed whole: partial_redemption is for cash vouchers",
                field="partial_redemption",
            )
    elif terms.items:
        raise InvalidTerms(
            "items are for set meals; a cash voucher has a face value", field="items"
        )
    item_skus = [i.sku for i in terms.items]
    if len(set(item_skus)) != len(item_skus):
        raise InvalidTerms("each item SKU appears once (give its qty)", field="items")
    if sku in item_skus:
        raise InvalidTerms("a set meal cannot contain its own voucher SKU", field="items")
    if any(i.qty < 1 for i in terms.items):
        raise InvalidTerms("item quantities are at least 1", field="items")
    if len(set(terms.locations)) != len(terms.locations):
        raise InvalidTerms("a location is listed once", field="locations")


def valid_until(terms: Terms, *, purchased_at: datetime) -> datetime:
    """When a voucher bought at ``purchased_at`` stops being redeemable (exclusive)."""
    if terms.valid_until is not None:
        return terms.valid_until
    assert terms.validity_days is not None
    return purchased_at + timedelta(days=terms.validity_days)


# --------------------------------------------------------------------------- state


@dataclass(frozen=True)
class VoucherState:
    """What redemption and refund decide on: a voucher's copy of its terms and its balance."""

    kind: VoucherKind
    face_value: int
    balance: int
    valid_until: datetime
    partial_redemption: bool = False
    locations: tuple[str, ...] = ()
    refund_policy: RefundPolicy = RefundPolicy.UNREDEEMED_REFUNDABLE
    void: bool = False


def status(state: VoucherState, *, now: datetime) -> VoucherStatus:
    if state.void:
        return VoucherStatus.VOID
    if state.balance == 0:
        return VoucherStatus.REDEEMED
    if now >= state.valid_until:
        return VoucherStatus.EXPIRED
    if state.balance < state.face_value:
        return VoucherStatus.PARTIALLY_REDEEMED
    return VoucherStatus.UNREDEEMED


def is_untouched(state: VoucherState) -> bool:
    """Never redeemed, not even in part, and not void: what a refund may take back."""
    return not state.void and state.balance == state.face_value


def valid_at(state: VoucherState, location: str) -> bool:
    return not state.locations or location in state.locations


def redemption_amount(
    state: VoucherState, *, location: str, amount: int | None, now: datetime
) -> int:
    """How much face value a redemption at ``location`` takes (``amount`` None: all that is
    left), or :class:`RedemptionRefused`. Checked in the order staff can act on: a void or
    used-up voucher first, then time, place and amount."""
    current = status(state, now=now)
    if current is VoucherStatus.VOID:
        raise RedemptionRefused(Refusal.VOID, "this voucher was refunded and is void")
    if current is VoucherStatus.REDEEMED:
        raise RedemptionRefused(Refusal.USED_UP, "this voucher was already redeemed in full")
    if current is VoucherStatus.EXPIRED:
        raise RedemptionRefused(
            Refusal.EXPIRED, f"this voucher expired at {state.valid_until.isoformat()}"
        )
    if not valid_at(state, location):
        raise RedemptionRefused(
            Refusal.NOT_VALID_HERE,
            f"this voucher is not valid at {location}; it is valid at "
            + ", ".join(state.locations),
        )
    if amount is None or amount == state.balance:
        return state.balance
    if not state.partial_redemption:
        whole = "a set meal" if state.kind is VoucherKind.SET_MEAL else "this voucher"
        raise RedemptionRefused(
            Refusal.WHOLE_ONLY, f"{whole} is redeemed whole ({state.balance}), not in part"
        )
    if amount > state.balance:
        raise RedemptionRefused(
            Refusal.OVER_BALANCE, f"{amount} is more than the {state.balance} left on this voucher"
        )
    return amount


def paid_share(*, paid: int, face_value: int, redeemed_before: int, redeemed_after: int) -> int:
    """The part of the price ``paid`` that redeeming face value from ``redeemed_before`` to
    ``redeemed_after`` consumes. Cumulative floors, so all shares add up to ``paid`` once
    the whole face value is redeemed, whatever the steps."""
    return paid * redeemed_after // face_value - paid * redeemed_before // face_value


# --------------------------------------------------------------------------- codes


def new_code() -> str:
    """A fresh voucher code: :data:`PREFIX` and :data:`RANDOM_DIGITS` digits from secrets."""
    return PREFIX + f"{secrets.randbelow(10**RANDOM_DIGITS):0{RANDOM_DIGITS}d}"


def parse_code(raw: str) -> str:
    """The code in typed digits (spaces, dashes and full-width digits allowed) or a scanned
    QR payload; :class:`UnrecognisedVoucherCode` for anything else."""
    text = unicodedata.normalize("NFKC", raw).strip()
    scanned = text.startswith(QR_PREFIX)
    if scanned:
        text = text[len(QR_PREFIX) :]
    digits = _SEPARATORS.sub("", text)
    if not CODE_PATTERN.match(digits):
        if scanned:
            raise UnrecognisedVoucherCode("the scanned voucher QR code is damaged")
        raise UnrecognisedVoucherCode(f"not a voucher code ({CODE_LENGTH} digits from {PREFIX})")
    return digits


def qr_payload(code: str) -> str:
    return QR_PREFIX + code


def code_digest(secret: bytes, code: str) -> str:
    """What finds a presented code: an HMAC, so a copy of the table cannot be searched for
    codes without the merchant's secret."""
    return hmac.new(secret, f"voucher-digest:{code}".encode(), hashlib.sha256).hexdigest()


def _keystream(secret: bytes, voucher_id: uuid.UUID) -> int:
    digest = hmac.new(secret, f"voucher-seal:{voucher_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % 10**RANDOM_DIGITS


def seal(secret: bytes, *, voucher_id: uuid.UUID, code: str) -> str:
    """The code's random digits, masked with a keystream only the secret and the voucher's
    own id give (each id seals one code, so the stream is never reused)."""
    random_part = int(code[len(PREFIX) :])
    return f"{(random_part + _keystream(secret, voucher_id)) % 10**RANDOM_DIGITS:0{RANDOM_DIGITS}d}"


def unseal(secret: bytes, *, voucher_id: uuid.UUID, sealed: str) -> str:
    random_part = (int(sealed) - _keystream(secret, voucher_id)) % 10**RANDOM_DIGITS
    return PREFIX + f"{random_part:0{RANDOM_DIGITS}d}"


def last4(code: str) -> str:
    return code[-4:]


def masked(last_four: str) -> str:
    """How staff see a code: the last four digits only (``**** **** 1234``)."""
    return "**** **** " + last_four


def grouped(code: str) -> str:
    """A code as printed for people: ``9123 4567 8901``."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def assign_units(
    lines: Sequence[tuple[str, int, int]], *, already: dict[str, int]
) -> list[tuple[str, int, int]]:
    """The units still to issue, as ``(sku, unit_no, paid per unit)``: one per unit of each
    line, numbered per SKU from 1 in line order, skipping the ``already`` issued numbers."""
    counters: dict[str, int] = {}
    units: list[tuple[str, int, int]] = []
    for sku, qty, paid in lines:
        for _ in range(qty):
            counters[sku] = counters.get(sku, 0) + 1
            if counters[sku] > already.get(sku, 0):
                units.append((sku, counters[sku], paid))
    return units
