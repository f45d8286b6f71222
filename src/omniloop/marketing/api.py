"""``/api/v1/campaigns``: campaigns, their tracking codes and their closed-loop report."""

from __future__ import annotations

import base64
import io
import uuid
from typing import Annotated, Any, Literal

import segno
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from omniloop.deps import SettingsDep, UowDep, ensure_member_access, require, require_self_or
from omniloop.errors import ValidationFailed
from omniloop.marketing import claims, codes, service
from omniloop.marketing import report as reports
from omniloop.marketing.domain import (
    VISITOR_COOKIE,
    CampaignKind,
    GroupBy,
    LandingType,
    Medium,
    landing_url,
    tracking_url,
)
from omniloop.marketing.models import Campaign, TrackingCode
from omniloop.marketing.schemas import (
    CampaignCreate,
    CampaignOut,
    CampaignReportOut,
    CampaignUpdate,
    LandingOut,
    TrackingCodeCreate,
    TrackingCodeOut,
)
from omniloop.merchants.domain import Permission, Principal
from omniloop.promotions.schemas import CouponOut
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from omniloop.shared.qr import qr_svg

router = APIRouter(tags=["marketing"])

Manager = Annotated[Principal, Depends(require(Permission.MARKETING_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.MARKETING_READ))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]
Code = Annotated[str, Path(min_length=1, max_length=32)]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "campaign_not_found (also another merchant's)"}
}


def _campaign_out(campaign: Campaign) -> CampaignOut:
    return CampaignOut.model_validate(campaign, from_attributes=True)


def _qr_png_base64(payload: str) -> str:
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=8, border=4)
    return base64.b64encode(buffer.getvalue()).decode()


def _code_out(row: TrackingCode, base_url: str, *, images: bool) -> TrackingCodeOut:
    url = tracking_url(base_url, row.code)
    landing_type = LandingType(row.landing_type)
    return TrackingCodeOut(
        code=row.code,
        campaign_id=row.campaign_id,
        medium=Medium(row.medium),
        location=row.location_code,
        landing=LandingOut(type=landing_type, value=row.landing_value),
        affiliate_id=row.affiliate_id,
        url=url,
        landing_url=landing_url(
            base_url=base_url, code=row.code, landing_type=landing_type, value=row.landing_value
        ),
        created_at=row.created_at,
        qr_svg=qr_svg(url, title="Tracking code") if images else None,
        qr_png_base64=_qr_png_base64(url) if images else None,
    )


@router.post(
    "/campaigns",
    status_code=201,
    response_model=CampaignOut,
    responses={422: {"description": "validation_error, unknown_reference (a location)"}},
)
async def create_campaign(body: CampaignCreate, principal: Manager, uow: UowDep) -> CampaignOut:
    """Start a campaign; its cost is in minor units of the merchant's currency."""
    campaign = await service.create_campaign(
        uow=uow,
        merchant_id=principal.merchant_id,
        name=body.name,
        cost=body.cost,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        channels=body.channels,
        locations=body.locations,
        attribution_window_days=body.attribution_window_days,
        attribution_model=body.attribution_model.value,
        actor=principal.actor,
    )
    return _campaign_out(campaign)


@router.get("/campaigns", response_model=Page[CampaignOut])
async def list_campaigns(
    principal: Reader,
    uow: UowDep,
    kind: CampaignKind | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[CampaignOut]:
    """The merchant's campaigns, oldest first (``kind=segment_grant`` for segment grants)."""
    rows, next_cursor = await service.list_campaigns(
        uow=uow, merchant_id=principal.merchant_id, limit=limit, cursor=cursor, kind=kind
    )
    return Page[CampaignOut](items=[_campaign_out(c) for c in rows], next_cursor=next_cursor)


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, responses=_NOT_FOUND)
async def get_campaign(campaign_id: uuid.UUID, principal: Reader, uow: UowDep) -> CampaignOut:
    """One campaign."""
    campaign = await service.get_campaign(
        uow=uow, merchant_id=principal.merchant_id, campaign_id=campaign_id
    )
    return _campaign_out(campaign)


@router.patch("/campaigns/{campaign_id}", response_model=CampaignOut, responses=_NOT_FOUND)
async def update_campaign(
    campaign_id: uuid.UUID, body: CampaignUpdate, principal: Manager, uow: UowDep
) -> CampaignOut:
    """Change a campaign: new dates re-decide which exposures count; a new window or model
    applies to orders from now on."""
    campaign = await service.update_campaign(
        uow=uow, merchant_id=principal.merchant_id, campaign_id=campaign_id, changes=body.changes()
    )
    return _campaign_out(campaign)


@router.post(
    "/campaigns/{campaign_id}/tracking-codes",
    status_code=201,
    response_model=TrackingCodeOut,
    responses={
        **_NOT_FOUND,
        422: {"description": "validation_error, unknown_reference (a location or SKU)"},
    },
)
async def create_tracking_code(
    campaign_id: uuid.UUID,
    body: TrackingCodeCreate,
    principal: Manager,
    uow: UowDep,
    settings: SettingsDep,
) -> TrackingCodeOut:
    """Issue a code for a poster, link, QR code, platform or staff member: its URL and its
    QR code (SVG and PNG) to print or share."""
    row = await codes.create_tracking_code(
        uow=uow,
        merchant_id=principal.merchant_id,
        campaign_id=campaign_id,
        medium=body.medium,
        location=body.location,
        landing_type=body.landing.type,
        landing_value=body.landing.value,
        actor=principal.actor,
    )
    return _code_out(row, settings.base_url, images=True)


@router.get(
    "/campaigns/{campaign_id}/tracking-codes",
    response_model=Page[TrackingCodeOut],
    responses=_NOT_FOUND,
)
async def list_tracking_codes(
    campaign_id: uuid.UUID,
    principal: Reader,
    uow: UowDep,
    settings: SettingsDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[TrackingCodeOut]:
    """A campaign's codes, oldest first, without their images (ask for one code for those)."""
    rows, next_cursor = await codes.list_tracking_codes(
        uow=uow,
        merchant_id=principal.merchant_id,
        campaign_id=campaign_id,
        limit=limit,
        cursor=cursor,
    )
    items = [_code_out(row, settings.base_url, images=False) for row in rows]
    return Page[TrackingCodeOut](items=items, next_cursor=next_cursor)


@router.get(
    "/campaigns/{campaign_id}/tracking-codes/{code}",
    response_model=TrackingCodeOut,
    responses={404: {"description": "campaign_not_found, tracking_code_not_found"}},
)
async def get_tracking_code(
    campaign_id: uuid.UUID, code: Code, principal: Reader, uow: UowDep, settings: SettingsDep
) -> TrackingCodeOut:
    """One code with its QR code images."""
    row = await codes.get_tracking_code(
        uow=uow, merchant_id=principal.merchant_id, campaign_id=campaign_id, code=code
    )
    return _code_out(row, settings.base_url, images=True)


async def _report(
    campaign_id: uuid.UUID, principal: Principal, uow: UowDep, group_by: GroupBy
) -> reports.CampaignReport:
    return await reports.campaign_report(
        uow=uow, merchant_id=principal.merchant_id, campaign_id=campaign_id, group_by=group_by
    )


def _csv_response(report: reports.CampaignReport) -> Response:
    filename = f"campaign-{report.campaign_id}-by-{report.group_by.value}.csv"
    return Response(
        reports.report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/campaigns/{campaign_id}/report",
    response_model=CampaignReportOut,
    responses={
        **_NOT_FOUND,
        200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"},
    },
)
async def campaign_report(
    campaign_id: uuid.UUID,
    principal: Reader,
    uow: UowDep,
    group_by: GroupBy = GroupBy.DAY,
    format: Literal["json", "csv"] = "json",
) -> CampaignReportOut | Response:
    """The closed loop: exposures → visitors → new members → orders → redemptions, paid and
    net revenue after refunds, cost and ROI, in total and per day, channel, location or
    medium (cancelled orders never count)."""
    report = await _report(campaign_id, principal, uow, group_by)
    if format == "csv":
        return _csv_response(report)
    return CampaignReportOut.model_validate(report, from_attributes=True)


@router.get(
    "/campaigns/{campaign_id}/report.csv",
    response_class=Response,
    responses={**_NOT_FOUND, 200: {"content": {"text/csv": {}}}},
)
async def campaign_report_csv(
    campaign_id: uuid.UUID, principal: Reader, uow: UowDep, group_by: GroupBy = GroupBy.DAY
) -> Response:
    """The same report as CSV (a header row, a row per group, then the total)."""
    return _csv_response(await _report(campaign_id, principal, uow, group_by))


class CodeClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID | None = Field(
        default=None, description="Staff claiming for a member; a customer's token: themselves."
    )


@router.post(
    "/tracking-codes/{code}/claims",
    status_code=201,
    response_model=CouponOut,
    tags=["coupons"],
    responses={409: {"description": "coupon_quota_exhausted, coupon_limit_reached"}},
)
async def claim_through_code(
    code: Code,
    body: CodeClaimIn,
    request: Request,
    principal: Annotated[Principal, Depends(require_self_or(Permission.MEMBERS_WRITE))],
    uow: UowDep,
) -> dict[str, Any]:
    """Claim the coupon a tracking code's landing gives (扫码领券), for its campaign."""
    member_id = principal.member_id if principal.is_customer else body.member_id
    if member_id is None:
        raise ValidationFailed("name the member claiming the coupon", field="member_id")
    ensure_member_access(principal, member_id)
    return await claims.claim_through_code(
        uow=uow,
        merchant_id=principal.merchant_id,
        code=code,
        member_id=member_id,
        visitor_id=request.cookies.get(VISITOR_COOKIE),
        actor=principal.actor,
    )
