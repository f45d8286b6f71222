"""``GET /t/{code}``: the public URL behind every poster, shared link and QR code.

No key: the code alone finds its merchant. Each opening records an exposure (time, the
visitor's ``ol_vid`` cookie, user agent, referer; bots and openings outside the campaign's
dates are kept but not counted) and redirects (302) to the code's landing:

- ``store``: ``{base_url}/stores/{location}?tc={code}``;
- ``product``: ``{base_url}/products/{sku}?tc={code}``;
- ``coupon``: ``{base_url}/t/{code}/claim``, where the coupon is claimed;
- ``url``: the merchant's http(s) URL, as given.

A visitor without a valid cookie gets a new random id for a year (HttpOnly, SameSite=Lax,
Secure when the public base URL is https). An unknown code is a 404 problem+json.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import RedirectResponse

from omniloop.deps import SettingsDep, UowDep
from omniloop.marketing.domain import VISITOR_COOKIE, VISITOR_COOKIE_MAX_AGE
from omniloop.marketing.tracking import record_exposure
from omniloop.shared.clock import utcnow

router = APIRouter(tags=["marketing"])


@router.get(
    "/t/{code}",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        302: {"description": "to the code's landing; sets the ol_vid cookie when missing"},
        404: {"description": "tracking_code_not_found"},
    },
)
async def open_tracking_code(
    request: Request,
    code: Annotated[str, Path(min_length=1, max_length=256)],
    uow: UowDep,
    settings: SettingsDep,
    user_agent: Annotated[str | None, Header()] = None,
    referer: Annotated[str | None, Header()] = None,
) -> RedirectResponse:
    """Count an exposure of the code's campaign and send the visitor on to its landing."""
    visit = await record_exposure(
        uow=uow,
        code=code,
        visitor_id=request.cookies.get(VISITOR_COOKIE),
        user_agent=user_agent,
        referer=referer,
        at=utcnow(),
        base_url=settings.base_url,
    )
    response = RedirectResponse(
        visit.landing_url,
        status_code=302,
        headers={"Cache-Control": "no-store"},
    )
    if visit.new_visitor:
        response.set_cookie(
            VISITOR_COOKIE,
            visit.visitor_id,
            max_age=VISITOR_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=settings.base_url.startswith("https://"),
            path="/",
        )
    return response
