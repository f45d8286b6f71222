"""Affiliate errors::

OmniloopError
└── NotFound ── AffiliateNotFound (affiliate_not_found)
"""

from __future__ import annotations

from omniloop.errors import NotFound


class AffiliateNotFound(NotFound):
    code = "affiliate_not_found"
