"""Member rules in plain Python: statuses and the kinds of activity."""

from __future__ import annotations

import re
from enum import StrEnum


class MemberStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"


class ActivityKind(StrEnum):
    JOINED = "joined"
    SIGNED_IN = "signed_in"
    ORDER = "order"
    SCANNED = "scanned"
    MERGED = "merged"


VISITS = frozenset({ActivityKind.JOINED, ActivityKind.ORDER, ActivityKind.SCANNED})
"""Activity that counts as a visit (first and last visit, channels and stores seen)."""

CHANNEL_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
"""A channel name (``own_app``, ``pos``, ``meituan``): the rule orders.domain.CHANNEL_PATTERN
states; repeated here because members sit below orders."""


def mask_name(name: str | None) -> str | None:
    """``王*`` for ``王小明``: enough for staff to greet a customer, not to identify one."""
    if not name:
        return name
    return name[0] + "*"
