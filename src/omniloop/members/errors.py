"""Member errors::

OmniloopError
├── NotFound ── MemberNotFound (member_not_found)
├── Conflict ── MemberMergeRefused (member_merge_refused)
└── ValidationFailed ── InvalidJoinToken (invalid_join_token)
"""

from __future__ import annotations

from omniloop.errors import Conflict, NotFound, ValidationFailed


class MemberNotFound(NotFound):
    code = "member_not_found"


class MemberMergeRefused(Conflict):
    code = "member_merge_refused"


class InvalidJoinToken(ValidationFailed):
    code = "invalid_join_token"
    title = "Invalid join token"

    def __init__(self, detail: str = "the join QR code is not one this merchant issued") -> None:
        super().__init__(detail, field="join_token")
