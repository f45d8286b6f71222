"""Webhook errors::

NotFound            404 not_found
└── WebhookNotFound 404 not_found       no such subscription for this merchant
Conflict            409 conflict
└── WebhookInactive 409 webhook_inactive  a test event for a paused subscription
"""

from omniloop.errors import Conflict, NotFound


class WebhookNotFound(NotFound):
    code, title = "not_found", "Webhook subscription not found"


class WebhookInactive(Conflict):
    code, title = "webhook_inactive", "Webhook subscription is inactive"
