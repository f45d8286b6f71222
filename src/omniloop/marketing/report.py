"""A campaign's report: its funnel (:mod:`omniloop.marketing.funnel`, where every number is
defined) in total and per day, channel, location or medium, with cost and ROI; and its CSV.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar

from omniloop.db import UnitOfWork
from omniloop.marketing.domain import MAX_WINDOW_DAYS, GroupBy, csv_text, roi
from omniloop.marketing.funnel import Funnel, Key, Scope, day_of, funnels
from omniloop.marketing.service import load_campaign
from omniloop.merchants.models import Merchant
from omniloop.shared.clock import ensure_utc, utcnow


@dataclass
class ReportRow(Funnel):
    key: Key = None


@dataclass
class ReportTotals(Funnel):
    cost: int = 0

    @property
    def roi(self) -> str | None:
        return roi(net_revenue=self.net_revenue, cost=self.cost)


@dataclass
class CampaignReport:
    campaign_id: uuid.UUID
    name: str
    currency: str
    timezone: str
    group_by: GroupBy
    generated_at: datetime
    totals: ReportTotals
    rows: list[ReportRow] = field(default_factory=list)


_F = TypeVar("_F", bound=Funnel)


def _copy(funnel: Funnel, into: _F) -> _F:
    for name in (f.name for f in fields(Funnel)):
        setattr(into, name, getattr(funnel, name))
    return into


async def campaign_report(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, campaign_id: uuid.UUID, group_by: GroupBy
) -> CampaignReport:
    """The campaign's funnel (see marketing.funnel) and ROI, in total and per ``group_by``."""
    now = utcnow()
    async with uow.read_only():
        session = uow.session
        campaign = await load_campaign(session, merchant_id, campaign_id)
        merchant = await session.get(Merchant, merchant_id)
        zone = merchant.timezone if merchant is not None else "UTC"
        span = (
            ensure_utc(min(campaign.starts_at, campaign.created_at)) - timedelta(days=366),
            max(ensure_utc(campaign.ends_at), now) + timedelta(days=MAX_WINDOW_DAYS + 1),
        )
        day = day_of(session.get_bind().dialect.name, zone, span)
        totals = await funnels(session, Scope(merchant_id, campaign, None, day))
        grouped = await funnels(session, Scope(merchant_id, campaign, group_by, day))
    keys = sorted(grouped, key=lambda key: (key is None, key or ""))
    rows = [_copy(grouped[key], ReportRow(key=key)) for key in keys]
    return CampaignReport(
        campaign_id=campaign.id,
        name=campaign.name,
        currency=campaign.currency,
        timezone=zone,
        group_by=group_by,
        generated_at=now,
        totals=_copy(totals.get(None, Funnel()), ReportTotals(cost=campaign.cost)),
        rows=rows,
    )


CSV_COLUMNS = (
    "exposures",
    "unique_visitors",
    "new_members",
    "orders",
    "paid_revenue",
    "refunds",
    "net_revenue",
    "redemptions",
    "visitors_to_members",
    "visitors_to_orders",
    "orders_to_redemptions",
)


def report_csv(report: CampaignReport) -> str:
    """The report as CSV: a header, one ``group`` row per key, then the ``total`` row (the
    only one with cost and ROI). Money in minor units of ``currency``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", report.group_by.value, *CSV_COLUMNS, "cost", "roi", "currency"])

    def cells(funnel: Funnel) -> list[Any]:
        conversions = funnel.conversions
        values = {
            "net_revenue": funnel.net_revenue,
            "visitors_to_members": conversions.visitors_to_members,
            "visitors_to_orders": conversions.visitors_to_orders,
            "orders_to_redemptions": conversions.orders_to_redemptions,
        }
        return [
            "" if (value := values.get(name, getattr(funnel, name, None))) is None else value
            for name in CSV_COLUMNS
        ]

    for row in report.rows:
        writer.writerow(["group", csv_text(row.key), *cells(row), "", "", report.currency])
    totals = report.totals
    writer.writerow(["total", "", *cells(totals), totals.cost, totals.roi or "", report.currency])
    return out.getvalue()
