"""Referral errors::

OmniloopError
└── Conflict
    └── ReferralRefused (referral_refused) 409, with a ``reason``: self_referral,
        existing_member, already_referred, loop, program_disabled
        └── UnknownReferralCode (referral_refused) 422, reason unknown_code: no member of
            this merchant has the code

Both carry the one code ``referral_refused``, so a caller catches one class and reads the
reason.
"""

from __future__ import annotations

from omniloop.errors import Conflict
from omniloop.referrals.domain import RefusalReason


class ReferralRefused(Conflict):
    code = "referral_refused"
    title = "Referral refused"

    def __init__(self, detail: str, *, reason: RefusalReason) -> None:
        super().__init__(detail, reason=reason.value)
        self.reason = reason


class UnknownReferralCode(ReferralRefused):
    status = 422

    def __init__(self, detail: str = "no member has this referral code") -> None:
        super().__init__(detail, reason=RefusalReason.UNKNOWN_CODE)
        self.extra["errors"] = [{"field": "referral_code", "message": detail}]
