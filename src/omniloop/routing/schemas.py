"""API shapes for routing rules and routing previews."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from omniloop.routing.domain import Demand
from omniloop.routing.rules import DEFAULT_RULES, FILTERS, SORT_KEYS
from omniloop.shared.clock import utcnow

MAX_LINES = 200
MAX_QUANTITY = 1_000_000_000

Sku = Annotated[str, Field(min_length=1, max_length=64)]
Channel = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description="Lowercase channel id: own_app, web, mini_program, pos, meituan, ...",
        examples=["own_app"],
    ),
]


# --------------------------------------------------------------------------- rules


class RulesIn(BaseModel):
    """A whole rule set (PUT replaces the stored one). Checked in full by
    ``routing.rules.RuleSet.parse``, which names the offending spot in its 422."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [DEFAULT_RULES.to_dict()]},
    )

    filters: list[str | dict[str, Any]] = Field(
        max_length=len(FILTERS),
        description="Applied in order; a location is rejected by the first it fails. One of "
        f"{', '.join(FILTERS)}; as a bare name or an object with its parameters: "
        '{"name": "kind_in", "kinds": [...]}, {"name": "under_capacity", '
        '"max_open_orders": N}, {"name": "channel_allowed", "allow": {"<location>": '
        '["<channel>", ...]}} (listed locations take listed channels only).',
    )
    sort: list[str] = Field(
        max_length=len(SORT_KEYS),
        description=f"Ranking keys in order, from {', '.join(SORT_KEYS)}; ties go by code.",
    )
    split: dict[str, Any] = Field(
        default_factory=lambda: {"policy": "never"},
        description='{"policy": "never"} or {"policy": "allow", "max_locations": 2-10}.',
    )


class RulesOut(BaseModel):
    filters: list[dict[str, Any]]
    sort: list[str]
    split: dict[str, Any]
    is_default: bool = Field(description="True until the merchant stores rules of its own.")
    updated_at: datetime | None
    updated_by: str | None


# --------------------------------------------------------------------------- preview request


class LineIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sku: Sku
    qty: int = Field(ge=1, le=MAX_QUANTITY)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str | None = Field(default=None, max_length=500)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)


class FulfillmentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["pickup", "delivery", "dine_in"]
    location: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The chosen location; routing then only checks it.",
    )
    address: AddressIn | None = Field(
        default=None,
        description="Delivery address (required for delivery). For a pickup or dine-in "
        "without a location, the customer's position to find the nearest store.",
    )
    requested_time: AwareDatetime | None = Field(
        default=None, description="When the order is wanted (default: now), with its offset."
    )

    @model_validator(mode="after")
    def _delivery_has_address(self) -> Self:
        if self.type == "delivery" and self.address is None:
            raise ValueError("a delivery needs fulfillment.address with lat and lng")
        return self


class RoutingRequest(BaseModel):
    """An order body as far as routing cares; other order fields are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    channel: Channel
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    fulfillment: FulfillmentIn

    def to_demand(self, *, now: datetime | None = None) -> Demand:
        """The routing demand this body describes (requested time defaults to ``now``)."""
        f = self.fulfillment
        destination = None
        if f.address is not None and (f.type == "delivery" or f.location is None):
            destination = (f.address.lat, f.address.lng)
        return Demand(
            channel=self.channel,
            fulfillment_type=f.type,
            lines=[(line.sku, line.qty) for line in self.lines],
            destination=destination,
            requested_time=f.requested_time or now or utcnow(),
            fixed_location=f.location,
        )


# --------------------------------------------------------------------------- decision


class LineOut(BaseModel):
    sku: str
    qty: int


class AssignmentOut(BaseModel):
    location: str
    lines: list[LineOut]


class RankedOut(BaseModel):
    location: str
    rank: int
    distance_km: float | None
    priority: int
    stock_depth: int = Field(description="Units of the ordered SKUs available there.")
    load: int = Field(description="Open orders at the location.")


class RejectionOut(BaseModel):
    rule: str = Field(description="The first filter the location failed.")
    reason: str


class AlternativeOut(BaseModel):
    location: str
    distance_km: float | None


class DecisionOut(BaseModel):
    routed: bool
    location: str | None = Field(description="The (first) fulfilling location.")
    reason: str | None = Field(description="Why nothing was assigned, when nothing was.")
    requested_time: datetime
    assignments: list[AssignmentOut]
    ranked: list[RankedOut] = Field(description="Locations passing every filter, best first.")
    ranked_count: int
    rejected: dict[str, RejectionOut] = Field(
        description="Location code -> the rule that rejected it; nearest first."
    )
    rejected_count: int
    alternatives: list[AlternativeOut] = Field(
        description="When nothing was assigned: the nearest locations that hold every line."
    )
    rules: dict[str, Any]
