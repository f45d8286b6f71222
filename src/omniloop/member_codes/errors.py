"""Member code errors::

    OmniloopError
    ├── ValidationFailed  422  validation_error      not shaped like a member code
    ├── NotFound          404  invalid_member_code   forged or unknown code (attempts_left)
    ├── Conflict          409  member_code_expired   the code's minute has passed
    │                     409  member_code_used      the code was scanned already
    │                     409  member_scan_invalid   a POS order cannot use this scan
    └── RateLimited       429  rate_limited          too many unknown codes here (Retry-After)

An unknown location is locations' 404 ``not_found``.
"""

from __future__ import annotations

from omniloop.errors import Conflict, NotFound, RateLimited


class InvalidMemberCode(NotFound):
    code, title = "invalid_member_code", "Invalid member code"


class MemberCodeExpired(Conflict):
    code, title = "member_code_expired", "Member code expired"


class MemberCodeUsed(Conflict):
    code, title = "member_code_used", "Member code already used"


class MemberScanInvalid(Conflict):
    code, title = "member_scan_invalid", "Member scan cannot be used"


class ScansLocked(RateLimited):
    title = "Member scans locked after too many unknown codes"
