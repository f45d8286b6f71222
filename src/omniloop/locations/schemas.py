"""API shapes for locations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from omniloop.locations.domain import LocationKind, normalize_opening_hours, validate_timezone

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# Path segments under /locations that are routes, so no location may be called that.
RESERVED_CODES = frozenset({"nearby"})

LocationCode = Annotated[
    str,
    StringConstraints(pattern=CODE_PATTERN),
    Field(
        description="The merchant's own code: 1-64 of A-Z a-z 0-9 _ . -, starting with a "
        "letter or digit; 'nearby' is reserved. Fixed once created.",
        examples=["SH-001"],
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, examples=[31.2304])]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, examples=[121.4737])]
Timezone = Annotated[
    str,
    StringConstraints(max_length=64),
    Field(description="IANA time zone name of the location.", examples=["Asia/Shanghai"]),
]
ServiceRadius = Annotated[
    float,
    Field(gt=0, le=100, allow_inf_nan=False, description="Delivery radius in km (0, 100]."),
]
Priority = Annotated[
    int, Field(ge=-1_000_000, le=1_000_000, description="Higher is preferred when routing.")
]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TimeOfDay = Annotated[str, StringConstraints(pattern=r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$")]
OpeningHours = Annotated[
    dict[
        Weekday,
        Annotated[
            list[Annotated[list[TimeOfDay], Field(min_length=2, max_length=2)]],
            Field(max_length=6),
        ],
    ],
    Field(
        description=(
            "Local wall-clock hours per weekday: each day lists [open, close] pairs of "
            '"HH:MM". A close at or before its open crosses midnight (["18:00", "02:00"] on '
            'fri is open Friday 18:00 to Saturday 02:00); "24:00" is allowed as a close. A '
            "missing day is closed; null means always open. Intervals of one day must not "
            "overlap; at most 6 a day."
        ),
        examples=[{"mon": [["08:00", "22:00"]], "fri": [["08:00", "12:00"], ["18:00", "02:00"]]}],
    ),
]


def _checked_hours(value: dict[str, Any] | None) -> dict[str, list[list[str]]] | None:
    return None if value is None else normalize_opening_hours(value)


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: LocationCode
    name: Name
    kind: LocationKind
    lat: Latitude
    lng: Longitude
    address: Address | None = None
    timezone: Timezone = "Asia/Shanghai"
    opening_hours: OpeningHours | None = None
    service_radius_km: ServiceRadius = 5.0
    priority: Priority = 0
    active: bool = True

    @field_validator("code")
    @classmethod
    def _code_not_reserved(cls, value: str) -> str:
        if value.lower() in RESERVED_CODES:
            raise ValueError(f"{value!r} is reserved; choose another code")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return validate_timezone(value)

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: dict[str, Any] | None) -> dict[str, list[list[str]]] | None:
        return _checked_hours(value)


class LocationUpdate(BaseModel):
    """Partial update: only the fields sent change; ``address`` and ``opening_hours`` may be
    set to null, the other fields may not."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: LocationKind | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    address: Address | None = None
    timezone: Timezone | None = None
    opening_hours: OpeningHours | None = None
    service_radius_km: ServiceRadius | None = None
    priority: Priority | None = None
    active: bool | None = None

    @field_validator(
        "name", "kind", "lat", "lng", "timezone", "service_radius_km", "priority", "active"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Validators run only on the fields sent, so None here is an explicit null.
        if value is None:
            raise ValueError("may not be null")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else validate_timezone(value)

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: dict[str, Any] | None) -> dict[str, list[list[str]]] | None:
        return _checked_hours(value)

    def changes(self) -> dict[str, Any]:
        """The fields sent, with their new values (enums as plain strings)."""
        return self.model_dump(mode="json", exclude_unset=True)


class LocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: LocationKind
    lat: float
    lng: float
    address: str | None
    timezone: str
    opening_hours: dict[str, list[list[str]]] | None
    service_radius_km: float
    priority: int
    active: bool
    created_at: datetime
    updated_at: datetime


class NearbyLocationOut(LocationOut):
    distance_km: float = Field(description="Great-circle distance from the query point, in km.")
    open_now: bool = Field(description="Open at the time of the request, in its own time zone.")
