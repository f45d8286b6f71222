"""Segment errors::

OmniloopError
├── NotFound ── SegmentNotFound (segment_not_found)
├── Conflict
│   ├── AlreadyExists ── SegmentNameTaken (segment_name_taken)
│   └── SegmentEmpty (segment_empty): a coupon grant to a segment nobody is in
└── ValidationFailed ── InvalidSegmentFilters (invalid_segment_filters)
"""

from __future__ import annotations

from omniloop.errors import AlreadyExists, Conflict, NotFound, ValidationFailed


class SegmentNotFound(NotFound):
    code = "segment_not_found"
    title = "Segment not found"


class SegmentNameTaken(AlreadyExists):
    code = "segment_name_taken"
    title = "A segment of this name exists"


class InvalidSegmentFilters(ValidationFailed):
    code = "invalid_segment_filters"
    title = "Invalid segment filters"


class SegmentEmpty(Conflict):
    code = "segment_empty"
    title = "The segment has no members"
