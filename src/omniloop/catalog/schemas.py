"""API shapes for products, SKUs, price overrides and effective prices."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AliasChoices,
    AnyUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    UrlConstraints,
    field_validator,
    model_validator,
)

from omniloop.catalog.domain import (
    CHANNEL_PATTERN,
    MAX_OVERRIDES_PER_SKU,
    SKU_CODE_PATTERN,
    OverrideRule,
    PriceQuote,
    RuleKind,
    check_override,
    check_overrides,
    duplicates,
)
from omniloop.shared.money import MAX_AMOUNT, normalize_currency

MAX_SKUS_PER_PRODUCT = 100

SkuCode = Annotated[
    str, StringConstraints(pattern=SKU_CODE_PATTERN), Field(examples=["MILK-TEA-L"])
]
ChannelCode = Annotated[
    str, StringConstraints(pattern=CHANNEL_PATTERN), Field(examples=["own_app", "pos"])
]
LocationCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Price = Annotated[
    int,
    Strict(),
    Field(ge=0, le=MAX_AMOUNT, description="Integer minor units (fen for CNY)."),
]
CurrencyCode = Annotated[
    str, AfterValidator(normalize_currency), Field(description="ISO 4217 code, e.g. CNY.")
]
ImageUrl = Annotated[
    AnyUrl,
    UrlConstraints(max_length=2000, allowed_schemes=["http", "https"]),
    AfterValidator(str),
]


def _refuse_nulls(model: BaseModel, *fields: str) -> None:
    """PATCH semantics: an omitted field stays as it is, an explicit null is an error."""
    for name in fields:
        if name in model.model_fields_set and getattr(model, name) is None:
            raise ValueError(f"{name} cannot be null; omit it to leave it unchanged")


class PriceOverrideIn(BaseModel):
    """A price for a channel, a location or both, optionally limited to a time window."""

    model_config = ConfigDict(extra="forbid")

    channel: ChannelCode | None = None
    location: LocationCode | None = None
    price: Price
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = Field(default=None, description="Exclusive.")

    @model_validator(mode="after")
    def _valid_rule(self) -> PriceOverrideIn:
        check_override(self.to_rule())
        return self

    def to_rule(self) -> OverrideRule:
        return OverrideRule(
            price=self.price,
            channel=self.channel,
            location=self.location,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
        )


PriceOverrides = Annotated[list[PriceOverrideIn], Field(max_length=MAX_OVERRIDES_PER_SKU)]


def _check_override_set(overrides: list[PriceOverrideIn] | None) -> None:
    if overrides:
        check_overrides([o.to_rule() for o in overrides])


class SkuIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: SkuCode
    name: Name
    price: Price
    currency: CurrencyCode | None = Field(
        default=None, description="Defaults to the merchant's currency."
    )
    active: bool = True
    price_overrides: PriceOverrides = Field(default_factory=list)

    @model_validator(mode="after")
    def _valid_overrides(self) -> SkuIn:
        _check_override_set(self.price_overrides)
        return self


class SkuPatch(BaseModel):
    """Adds the SKU when its code is new (then ``name`` and ``price`` are required)."""

    model_config = ConfigDict(extra="forbid")

    sku: SkuCode
    name: Name | None = None
    price: Price | None = None
    currency: CurrencyCode | None = None
    active: bool | None = None
    price_overrides: PriceOverrides | None = Field(
        default=None, description="Replaces the SKU's overrides when given; [] removes them."
    )

    @model_validator(mode="after")
    def _valid(self) -> SkuPatch:
        _refuse_nulls(self, "name", "price", "currency", "active", "price_overrides")
        _check_override_set(self.price_overrides)
        return self


def _refuse_repeated_skus(codes: list[str]) -> None:
    repeated = duplicates(codes)
    if repeated:
        raise ValueError(f"SKU codes repeated in this request: {', '.join(repeated)}")


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    category: Category
    description: Description | None = None
    image_url: ImageUrl | None = None
    active: bool = True
    skus: list[SkuIn] = Field(min_length=1, max_length=MAX_SKUS_PER_PRODUCT)

    @model_validator(mode="after")
    def _unique_skus(self) -> ProductCreate:
        _refuse_repeated_skus([s.sku for s in self.skus])
        return self


class ProductPatch(BaseModel):
    """Changes the given fields; ``skus`` adds or updates SKUs by code, never removes one."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    category: Category | None = None
    description: Description | None = None
    image_url: ImageUrl | None = None
    active: bool | None = None
    skus: list[SkuPatch] | None = Field(default=None, max_length=MAX_SKUS_PER_PRODUCT)

    @model_validator(mode="after")
    def _valid(self) -> ProductPatch:
        _refuse_nulls(self, "name", "category", "active", "skus")
        _refuse_repeated_skus([s.sku for s in self.skus or []])
        return self


class PriceOverrideOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: str | None
    location: str | None = Field(validation_alias=AliasChoices("location", "location_code"))
    price: int
    starts_at: datetime | None
    ends_at: datetime | None


class SkuOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    name: str
    price: int
    currency: str
    active: bool
    price_overrides: list[PriceOverrideOut]
    created_at: datetime
    updated_at: datetime


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    category: str
    description: str | None
    image_url: str | None
    active: bool
    skus: list[SkuOut]
    created_at: datetime
    updated_at: datetime

    @field_validator("skus")
    @classmethod
    def _by_code(cls, skus: list[SkuOut]) -> list[SkuOut]:
        # Sorted here, not by the database, whose collation may order codes differently.
        return sorted(skus, key=lambda s: s.sku)


class PriceRuleOut(BaseModel):
    kind: RuleKind = Field(description="location_channel > location > channel > base")
    override_id: uuid.UUID | None = None


class PriceOut(BaseModel):
    """The price to charge for a SKU on a channel at a location, and the rule that set it."""

    sku: str
    channel: str | None
    location: str | None
    price: int
    currency: str
    rule: PriceRuleOut
    base_price: int
    at: datetime = Field(description="The moment the price was resolved for.")

    @classmethod
    def from_quote(cls, sku: str, quote: PriceQuote) -> PriceOut:
        return cls(
            sku=sku,
            channel=quote.channel,
            location=quote.location,
            price=quote.price,
            currency=quote.currency,
            rule=PriceRuleOut(kind=quote.rule, override_id=quote.override_id),
            base_price=quote.base_price,
            at=quote.at,
        )
