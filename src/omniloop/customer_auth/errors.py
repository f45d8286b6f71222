"""Customer sign-in errors::

OmniloopError
├── Unauthorized  401  invalid_otp       wrong, expired, used or exhausted code (attempts_left)
│   └──           401  unauthorized      customer token forged, expired or for nobody
├── NotFound      404  merchant_not_found  no such merchant to sign in to
│                 404  not_found         the sandbox SMS outbox when the sandbox is off
├── RateLimited   429  rate_limited      codes sent too often to one phone (Retry-After)
└── Unavailable   503  sms_unavailable   no SMS sender configured, or the gateway refused
    └──           503  sms_not_sent
"""

from __future__ import annotations

from omniloop.errors import NotFound, RateLimited, Unauthorized, Unavailable


class InvalidOtp(Unauthorized):
    code, title = "invalid_otp", "Invalid one-time code"


class InvalidCustomerToken(Unauthorized):
    code, title = "unauthorized", "Invalid customer token"


class MerchantNotFound(NotFound):
    code, title = "merchant_not_found", "Merchant not found"


class SandboxOff(NotFound):
    code, title = "not_found", "Not found"


class OtpRateLimited(RateLimited):
    title = "Too many codes sent to this phone"


class SmsUnavailable(Unavailable):
    code, title = "sms_unavailable", "SMS unavailable"


class SmsNotSent(SmsUnavailable):
    code, title = "sms_not_sent", "SMS not sent"
