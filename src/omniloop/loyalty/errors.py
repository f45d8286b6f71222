"""Loyalty errors::

OmniloopError
├── Conflict
│   ├── InsufficientPoints (insufficient_points)
│   ├── InsufficientWallet (insufficient_wallet)
│   └── TenderRefused (tender_refused)
└── NotFound ── TopUpNotFound (top_up_not_found)
"""

from __future__ import annotations

from omniloop.errors import Conflict, NotFound


class InsufficientPoints(Conflict):
    code = "insufficient_points"
    title = "Not enough points"


class InsufficientWallet(Conflict):
    code = "insufficient_wallet"
    title = "Not enough stored value"


class TenderRefused(Conflict):
    code = "tender_refused"
    title = "The tender cannot be used"


class TopUpNotFound(NotFound):
    code = "top_up_not_found"
