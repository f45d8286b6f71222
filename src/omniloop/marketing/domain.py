"""Marketing rules in plain Python: campaigns, tracking codes, bots, attribution, report math.

**Tracking codes** are 8 characters of the RFC 4648 base32 alphabet (A-Z, 2-7: no 0/O or
1/I to confuse), drawn with ``secrets``: 40 bits, unique across every merchant, since
``GET /t/{code}`` is public and must find the merchant from the code alone.

**Bots**: an exposure whose user agent is empty or contains one of :data:`BOT_MARKERS`
(case-insensitive) is stored but never counted. The rule is deliberately simple and
public; it also catches the link previews chat apps fetch when a link is pasted.

**Attribution** of an order (:func:`attribute_touches`):

1. an explicit tracking code on the order that exists wins, even without an exposure
   (rule ``explicit``), unless its campaign excludes the order's channel or location;
2. otherwise the touches (counted exposures) of the order's visitor and of every visitor
   linked to its member are considered, each within its own campaign's attribution window
   before the order (``exposed_at <= at <= exposed_at + window``), leaving out campaigns
   that exclude the order's channel or location;
3. among those touches, when the earliest one belongs to a ``first_touch`` campaign, that
   campaign wins (nobody can have touched the customer earlier); otherwise the campaign of
   the latest touch wins. When every campaign uses the same model this is simply that model
   applied across all touches. The winner's own touch is then picked by its model: its
   first touch for ``first_touch``, its last for ``last_touch``. Ties in time are broken by
   exposure id, so the answer never depends on row order.

A campaign limited to channels or locations accepts only orders from one of those channels
and fulfilled at one of those locations.
"""

from __future__ import annotations

import math
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from omniloop.orders.domain import CHANNEL_PATTERN
from omniloop.shared.money import MAX_AMOUNT

DEFAULT_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 365
MAX_NAME_LENGTH = 200
MAX_CHANNELS = 50
MAX_LOCATIONS = 500
MAX_URL_LENGTH = 2000

CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CODE_LENGTH = 8

VISITOR_COOKIE = "ol_vid"
VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

BOT_MARKERS = (
    "bot",
    "spider",
    "crawler",
    "preview",
    "curl",
    "wget",
    "python-requests",
    "headless",
)


class CampaignKind(StrEnum):
    CAMPAIGN = "campaign"
    SEGMENT_GRANT = "segment_grant"
    """A coupon grant to a member segment: a campaign of its own, with its own report."""


class AttributionModel(StrEnum):
    LAST_TOUCH = "last_touch"
    FIRST_TOUCH = "first_touch"


class AttributionRule(StrEnum):
    """How one order was attributed (the ``attribution.rule`` of the order)."""

    EXPLICIT = "explicit"
    LAST_TOUCH = "last_touch"
    FIRST_TOUCH = "first_touch"


class Medium(StrEnum):
    POSTER = "poster"
    LINK = "link"
    QR = "qr"
    THIRD_PARTY = "third_party"
    STAFF = "staff"


class LandingType(StrEnum):
    STORE = "store"
    PRODUCT = "product"
    COUPON = "coupon"
    URL = "url"


class GroupBy(StrEnum):
    DAY = "day"
    CHANNEL = "channel"
    LOCATION = "location"
    MEDIUM = "medium"


class InvalidCampaign(ValueError):
    """A campaign (or tracking code) that breaks a rule; ``field`` names the culprit."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


# --------------------------------------------------------------------------- campaigns


def check_campaign(
    *,
    name: str,
    cost: int,
    starts_at: datetime,
    ends_at: datetime,
    channels: Sequence[str],
    locations: Sequence[str],
    attribution_window_days: int,
) -> None:
    """InvalidCampaign for the first rule a campaign breaks (the API checks shapes first;
    this also guards callers that build campaigns in code, such as segment grants)."""
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidCampaign(f"a name of 1 to {MAX_NAME_LENGTH} characters", field="name")
    if isinstance(cost, bool) or not 0 <= cost <= MAX_AMOUNT:
        raise InvalidCampaign(f"cost is 0 to {MAX_AMOUNT} minor units", field="cost")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidCampaign("times need a timezone", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidCampaign("the campaign must end after it starts", field="ends_at")
    if not 1 <= attribution_window_days <= MAX_WINDOW_DAYS:
        raise InvalidCampaign(
            f"the attribution window is 1 to {MAX_WINDOW_DAYS} days",
            field="attribution_window_days",
        )
    if len(channels) > MAX_CHANNELS or len(set(channels)) != len(channels):
        raise InvalidCampaign(f"up to {MAX_CHANNELS} distinct channels", field="channels")
    for channel in channels:
        if not CHANNEL_PATTERN.match(channel):
            raise InvalidCampaign(f"{channel!r} is not a channel name", field="channels")
    if len(locations) > MAX_LOCATIONS or len(set(locations)) != len(locations):
        raise InvalidCampaign(f"up to {MAX_LOCATIONS} distinct locations", field="locations")


def in_campaign_window(at: datetime, *, starts_at: datetime, ends_at: datetime) -> bool:
    """True while the campaign runs (both ends included); exposures outside are not counted."""
    return starts_at <= at <= ends_at


def new_members_until(*, ends_at: datetime, window_days: int) -> datetime:
    """The last moment a member can join and still count as one the campaign brought."""
    return ends_at + timedelta(days=window_days)


# --------------------------------------------------------------------------- tracking codes


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str | None) -> str | None:
    """The code in canonical (upper-case) form, or None when it cannot be one of ours."""
    if raw is None:
        return None
    text = raw.strip().upper()
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


def check_http_url(value: str) -> str:
    """An absolute http(s) URL a visitor may be sent to, or InvalidCampaign."""
    value = value.strip()
    if not value or len(value) > MAX_URL_LENGTH:
        raise InvalidCampaign(f"a URL of 1 to {MAX_URL_LENGTH} characters", field="landing.value")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise InvalidCampaign("the URL has spaces or control characters", field="landing.value")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise InvalidCampaign(f"not a valid URL: {exc}", field="landing.value") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise InvalidCampaign("only http:// and https:// URLs", field="landing.value")
    return value


def tracking_url(base_url: str, code: str) -> str:
    """What the poster's QR code or the shared link holds."""
    return f"{base_url.rstrip('/')}/t/{code}"


def landing_url(*, base_url: str, code: str, landing_type: LandingType, value: str) -> str:
    """Where ``GET /t/{code}`` sends the visitor.

    Our own pages get ``?tc=<code>`` so the storefront can pass the code on to the order
    (explicit attribution) even where the visitor cookie does not reach; a coupon lands on
    the code's claim page; a merchant's URL is used as given."""
    base = base_url.rstrip("/")
    if landing_type is LandingType.STORE:
        return f"{base}/stores/{quote(value, safe='')}?tc={code}"
    if landing_type is LandingType.PRODUCT:
        return f"{base}/products/{quote(value, safe='')}?tc={code}"
    if landing_type is LandingType.COUPON:
        return f"{base}/t/{code}/claim"
    return value


# --------------------------------------------------------------------------- visitors


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


def is_visitor_id(value: str | None) -> bool:
    """True for what we could have issued (the cookie comes from the browser)."""
    return bool(value) and _VISITOR_ID.match(value or "") is not None


def is_bot(user_agent: str | None) -> bool:
    text = (user_agent or "").strip().lower()
    return not text or any(marker in text for marker in BOT_MARKERS)


# --------------------------------------------------------------------------- attribution


@dataclass(frozen=True)
class CampaignRules:
    """What attribution needs to know of a campaign."""

    campaign_id: uuid.UUID
    window_days: int
    model: AttributionModel
    channels: frozenset[str] = field(default_factory=frozenset)
    locations: frozenset[str] = field(default_factory=frozenset)

    def accepts(self, *, channel: str, location: str | None) -> bool:
        """False when the campaign is limited to other channels or locations."""
        if self.channels and channel not in self.channels:
            return False
        return not self.locations or location in self.locations

    def reaches(self, exposed_at: datetime, at: datetime) -> bool:
        """True when an order at ``at`` is within the window after the exposure."""
        return exposed_at <= at <= exposed_at + timedelta(days=self.window_days)


@dataclass(frozen=True)
class Touch:
    """A counted exposure of one of the order's visitors."""

    exposure_id: uuid.UUID
    tracking_code: str
    campaign_id: uuid.UUID
    exposed_at: datetime


@dataclass(frozen=True)
class Attribution:
    """The campaign an order is credited to, and why."""

    tracking_code: str
    campaign_id: uuid.UUID
    rule: AttributionRule
    exposed_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The order's ``attribution`` column."""
        return {
            "rule": self.rule.value,
            "tracking_code": self.tracking_code,
            "campaign_id": str(self.campaign_id),
            "exposed_at": self.exposed_at.isoformat() if self.exposed_at else None,
        }


def explicit_attribution(
    code: str, rules: CampaignRules, *, channel: str, location: str | None
) -> Attribution | None:
    """The order's own tracking code, when its campaign accepts the order."""
    if not rules.accepts(channel=channel, location=location):
        return None
    return Attribution(code, rules.campaign_id, AttributionRule.EXPLICIT, None)


def attribute_touches(
    touches: Iterable[Touch],
    rules: Mapping[uuid.UUID, CampaignRules],
    *,
    channel: str,
    location: str | None,
    at: datetime,
) -> Attribution | None:
    """The campaign the visitor's touches credit with an order at ``at`` (module docstring)."""
    eligible = sorted(
        (
            touch
            for touch in touches
            if (campaign := rules.get(touch.campaign_id)) is not None
            and campaign.accepts(channel=channel, location=location)
            and campaign.reaches(touch.exposed_at, at)
        ),
        key=lambda touch: (touch.exposed_at, str(touch.exposure_id)),
    )
    if not eligible:
        return None
    first, last = eligible[0], eligible[-1]
    if rules[first.campaign_id].model is AttributionModel.FIRST_TOUCH:
        winner = first.campaign_id
    else:
        winner = last.campaign_id
    model = rules[winner].model
    own = [touch for touch in eligible if touch.campaign_id == winner]
    touch = own[0] if model is AttributionModel.FIRST_TOUCH else own[-1]
    return Attribution(touch.tracking_code, winner, AttributionRule(model.value), touch.exposed_at)


# --------------------------------------------------------------------------- report math

_FOUR_PLACES = Decimal("0.0001")
_EXACT = Context(prec=60)


def ratio(numerator: int, denominator: int) -> str | None:
    """``numerator / denominator`` as a decimal string with four places (half up), or None
    when there is nothing to divide by."""
    if denominator == 0:
        return None
    quotient = _EXACT.divide(Decimal(numerator), Decimal(denominator))
    return str(quotient.quantize(_FOUR_PLACES, rounding=ROUND_HALF_UP, context=_EXACT))


def roi(*, net_revenue: int, cost: int) -> str | None:
    """(net revenue - cost) / cost; None for a campaign that cost nothing."""
    return ratio(net_revenue - cost, cost) if cost > 0 else None


def csv_text(value: str | None) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def utc_offsets(zone: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offset in seconds from ``start`` on, and from each change before
    ``end``: ``[(start, offset), (change, offset), ...]``. Lets SQL bucket timestamps into
    local days on a database that knows no time zones (SQLite)."""
    tz = ZoneInfo(zone)

    def offset(at: datetime) -> int:
        delta = at.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    start = start.replace(microsecond=0)
    periods = [(start, offset(start))]
    previous = start
    while previous < end:
        current = min(previous + timedelta(days=1), end)
        if offset(current) != periods[-1][1]:
            # Transitions fall on whole seconds: search them to the second.
            low, high = 0, math.ceil((current - previous).total_seconds())
            while high - low > 1:
                middle = (low + high) // 2
                if offset(previous + timedelta(seconds=middle)) == periods[-1][1]:
                    low = middle
                else:
                    high = middle
            periods.append((previous + timedelta(seconds=high), offset(current)))
        previous = current
    return periods
