"""Channel errors::

OmniloopError
├── SignatureInvalid        401 invalid_signature     a generic push that is not ours
├── NotFound
│   ├── ConnectionNotFound  404 not_found             no such connection for this merchant
│   └── PushNotFound        404 not_found             no such push for this merchant
├── Conflict
│   ├── ConnectionNameTaken 409 already_exists        another connection has this name
│   ├── PushNotReviewable   409 push_not_reviewable   only held or failed pushes are retried
│   └── ConnectionInactive  409 connection_inactive   a paused connection processes nothing
├── PayloadTooLarge         413 payload_too_large     a push body over 1 MB
└── Unavailable
    └── OrderSinkUnavailable 503 unavailable          orders are not wired to channels
"""

from omniloop.errors import (
    AlreadyExists,
    Conflict,
    NotFound,
    OmniloopError,
    Unavailable,
)


class SignatureInvalid(OmniloopError):
    code, status, title = "invalid_signature", 401, "Signature does not verify"


class ConnectionNotFound(NotFound):
    title = "Channel connection not found"


class PushNotFound(NotFound):
    title = "Channel push not found"


class ConnectionNameTaken(AlreadyExists):
    title = "Channel connection name taken"


class PushNotReviewable(Conflict):
    code, title = "push_not_reviewable", "Push is not awaiting review"


class ConnectionInactive(Conflict):
    code, title = "connection_inactive", "Channel connection is paused"


class OrderSinkUnavailable(Unavailable):
    title = "Orders are not connected to channels"
