"""Marketing errors::

OmniloopError
├── ValidationFailed  422  validation_error          a campaign or code breaks a rule
│   └── UnknownReference   422  unknown_reference  a location or SKU the merchant lacks
└── NotFound          404  campaign_not_found       no such campaign (or another merchant's)
                      404  tracking_code_not_found  no such tracking code
"""

from __future__ import annotations

from omniloop.errors import NotFound, ValidationFailed


class UnknownReference(ValidationFailed):
    code, title = "unknown_reference", "Unknown reference"


class CampaignNotFound(NotFound):
    code, title = "campaign_not_found", "Campaign not found"


class TrackingCodeNotFound(NotFound):
    code, title = "tracking_code_not_found", "Tracking code not found"
