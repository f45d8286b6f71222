"""Routing errors.

::

    Conflict (409)
    └── NoFulfillmentLocation   409 no_fulfillment_location  (alternatives, rejected)
"""

from __future__ import annotations

from omniloop.errors import Conflict
from omniloop.routing.domain import Decision

# How many rejections the 409 body lists (nearest first); the count is always complete.
REJECTED_IN_PROBLEM = 20


class NoFulfillmentLocation(Conflict):
    code, title = "no_fulfillment_location", "No location can fulfil the order"

    def __init__(self, decision: Decision) -> None:
        summary = decision.as_dict(limit=REJECTED_IN_PROBLEM)
        hint = ""
        if decision.alternatives:
            names = ", ".join(a.location for a in decision.alternatives)
            hint = f"; these locations hold the items: {names}"
        super().__init__(
            f"no location can fulfil this order: {decision.reason}{hint}",
            reason=decision.reason,
            alternatives=summary["alternatives"],
            rejected=summary["rejected"],
            rejected_count=summary["rejected_count"],
        )
        self.decision = decision


def raise_if_unroutable(decision: Decision) -> None:
    """Raise :class:`NoFulfillmentLocation` (409) when the decision assigns no location."""
    if not decision.routed:
        raise NoFulfillmentLocation(decision)
