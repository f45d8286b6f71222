"""One entry point per step for every channel: authenticate, parse, reply (plain Python).

:func:`authenticate` turns an HTTP request into a :class:`Verified` payload (the decoded
fields the signature covers, stored with the push and re-parsed on retry), a
:class:`Heartbeat` (the platform checking the URL: answered, nothing recorded) or a
:class:`Refused` with the reason. :func:`reply` is the body each platform expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omniloop.channels import eleme, generic, meituan
from omniloop.channels.domain import Channel, ParsedPush, PushKind
from omniloop.channels.signatures import eleme_verifies

MAX_BODY_BYTES = 1_000_000


@dataclass(frozen=True)
class InboundRequest:
    method: str
    query: str
    body: bytes
    headers: Mapping[str, str]  # lower-case names


@dataclass(frozen=True)
class Verified:
    payload: dict[str, Any]


@dataclass(frozen=True)
class Heartbeat:
    pass


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class Credentials:
    secret: str
    public_url: str
    app_id: str | None


def authenticate(
    channel: Channel, request: InboundRequest, credentials: Credentials, *, now: float
) -> Verified | Heartbeat | Refused:
    """Whether the request really comes from the platform, and what it says if so."""
    if channel is Channel.MEITUAN:
        return _meituan(request, credentials)
    if channel is Channel.ELEME:
        return _eleme(request, credentials)
    return _generic(request, credentials, now=now)


def _app_id_differs(given: str | None, credentials: Credentials) -> bool:
    return bool(credentials.app_id) and (given or "") != credentials.app_id


def _meituan(request: InboundRequest, credentials: Credentials) -> Verified | Heartbeat | Refused:
    try:
        fields = meituan.form_fields(request.query, request.body)
    except meituan.MalformedForm as exc:
        return Refused(str(exc))
    if not fields:
        return Heartbeat()
    verified = meituan.verified_fields(
        fields, url=credentials.public_url, secret=credentials.secret
    )
    if verified is None:
        return Refused("the Meituan signature does not verify against the registered URL")
    if _app_id_differs(verified.get("app_id"), credentials):
        return Refused(f"app_id {verified.get('app_id')!r} is not this connection's")
    if meituan.is_heartbeat(verified):
        return Heartbeat()
    return Verified(dict(verified))


def _eleme(request: InboundRequest, credentials: Credentials) -> Verified | Heartbeat | Refused:
    if request.method == "GET" or not request.body.strip():
        return Heartbeat()
    try:
        envelope = eleme.load_envelope(request.body)
    except eleme.MalformedEnvelope as exc:
        return Refused(str(exc))
    if not eleme_verifies(envelope, credentials.secret):
        return Refused("the Ele.me signature does not verify")
    if _app_id_differs(envelope.get("appId"), credentials):
        return Refused(f"appId {envelope.get('appId')!r} is not this connection's")
    return Verified({k: v for k, v in envelope.items() if k != "signature"})


def _generic(
    request: InboundRequest, credentials: Credentials, *, now: float
) -> Verified | Heartbeat | Refused:
    if request.method == "GET":
        return Heartbeat()
    header = request.headers.get(generic.SIGNATURE_HEADER.lower())
    if not generic.verifies(secret=credentials.secret, header=header, body=request.body, now=now):
        return Refused(
            f"the {generic.SIGNATURE_HEADER} header is missing, stale or does not sign the body"
        )
    try:
        return Verified(generic.load_body(request.body))
    except generic.MalformedBody as exc:
        return Refused(str(exc))


def kind_of(channel: Channel, payload: Mapping[str, Any]) -> PushKind:
    if channel is Channel.MEITUAN:
        return meituan.kind_of(payload)
    if channel is Channel.ELEME:
        return eleme.kind_of(payload)
    return generic.kind_of(payload)


def parse(channel: Channel, payload: Mapping[str, Any]) -> ParsedPush:
    """What a verified payload says (raises PushInvalid when it cannot be read)."""
    if channel is Channel.MEITUAN:
        return meituan.parse(payload)
    if channel is Channel.ELEME:
        return eleme.parse(payload)
    return generic.parse(payload)


def reply_ok(channel: Channel, **details: Any) -> dict[str, Any]:
    """What the platform expects when we have taken the push (or know it already)."""
    if channel is Channel.MEITUAN:
        return dict(meituan.REPLY_OK)
    if channel is Channel.ELEME:
        return dict(eleme.REPLY_OK)
    return {"ok": True, **details}


def reply_refused(channel: Channel) -> tuple[int, dict[str, Any]]:
    """Status and body for a push whose signature does not verify (not for generic,
    which answers problem+json like every other Omniloop error)."""
    if channel is Channel.MEITUAN:
        # Meituan reports errors in the body of a 200, as its own API does.
        return 200, dict(meituan.REPLY_BAD_SIGNATURE)
    return 401, dict(eleme.REPLY_BAD_SIGNATURE)
