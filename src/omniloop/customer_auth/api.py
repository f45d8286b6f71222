"""``/api/v1/auth``: customers sign in with phone + one-time code (no API key), and the
sandbox's SMS outbox for developers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from omniloop.customer_auth import service
from omniloop.customer_auth.schemas import (
    OtpRequest,
    OtpSentOut,
    SandboxSmsOut,
    SandboxSmsPage,
    TokenOut,
    TokenRequest,
)
from omniloop.deps import CurrentKey, SettingsDep, UowDep
from omniloop.errors import Forbidden, ValidationFailed
from omniloop.marketing.domain import VISITOR_COOKIE
from omniloop.merchants.domain import Principal, Role
from omniloop.shared.phone import InvalidPhone, normalize_phone

router = APIRouter(tags=["customer sign-in"])


@router.post(
    "/auth/otp",
    status_code=202,
    response_model=OtpSentOut,
    responses={
        404: {"description": "merchant_not_found"},
        429: {"description": "rate_limited: a code went to this phone recently (Retry-After)"},
        503: {"description": "sms_unavailable: no SMS sender configured"},
    },
)
async def request_otp(
    body: OtpRequest, request: Request, uow: UowDep, settings: SettingsDep
) -> OtpSentOut:
    """Text a one-time sign-in code to the phone (one a minute, five an hour; twenty an hour
    from one client address)."""
    sent = await service.request_otp(
        uow=uow,
        settings=settings,
        merchant_id=body.merchant_id,
        phone=body.phone,
        client=request.client.host if request.client else None,
    )
    return OtpSentOut(expires_in=sent.expires_in, resend_after=sent.resend_after)


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses={401: {"description": "invalid_otp: wrong, expired or used code (attempts_left)"}},
)
async def issue_token(
    body: TokenRequest, request: Request, uow: UowDep, settings: SettingsDep
) -> TokenOut:
    """Trade the code for a short-lived customer token, joining as a member if new (with a
    friend's referral code if given; the browser's tracking cookie links to the member)."""
    signed_in = await service.sign_in(
        uow=uow,
        settings=settings,
        merchant_id=body.merchant_id,
        phone=body.phone,
        code=body.code,
        channel=body.channel,
        join_token=body.join_token,
        visitor_id=request.cookies.get(VISITOR_COOKIE),
        referral_code=body.referral_code,
    )
    return TokenOut(
        access_token=signed_in.access_token,
        expires_in=signed_in.expires_in,
        member_id=signed_in.member_id,
        referral=signed_in.referral,
    )


async def _sandbox_reader(principal: CurrentKey) -> Principal:
    if principal.role not in (Role.OWNER, Role.OPERATOR):
        raise Forbidden("only owner and operator keys read the sandbox SMS outbox")
    return principal


@router.get(
    "/sandbox/sms",
    response_model=SandboxSmsPage,
    responses={404: {"description": "the sandbox is off"}},
)
async def sandbox_sms(
    principal: Annotated[Principal, Depends(_sandbox_reader)],
    uow: UowDep,
    settings: SettingsDep,
    phone: Annotated[str, Query(min_length=3, max_length=32)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SandboxSmsPage:
    """Sandbox: the messages sent to a phone, newest first (never in production)."""
    try:
        e164 = normalize_phone(phone)
    except InvalidPhone as exc:
        raise ValidationFailed(str(exc), field="phone") from None
    rows = await service.sandbox_messages(
        uow=uow, settings=settings, merchant_id=principal.merchant_id, phone=e164, limit=limit
    )
    return SandboxSmsPage(items=[SandboxSmsOut.model_validate(r) for r in rows])
