"""``/api/v1/api-keys``: owners issue, list and revoke keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from omniloop.deps import UowDep, require
from omniloop.locations.service import existing_codes
from omniloop.merchants import service
from omniloop.merchants.domain import Permission, Principal, Role
from omniloop.merchants.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from omniloop.shared.pagination import Page

router = APIRouter(prefix="/api-keys", tags=["api keys"])

KeyManager = Annotated[Principal, Depends(require(Permission.API_KEYS_MANAGE))]


@router.post("", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(body: ApiKeyCreate, principal: KeyManager, uow: UowDep) -> ApiKeyCreated:
    """Issue a key; the secret is in this response only."""
    role = Role(body.role)
    known = None
    if role is Role.STORE_STAFF and body.locations:
        known = await existing_codes(
            uow=uow, merchant_id=principal.merchant_id, codes=set(body.locations)
        )
    issued = await service.issue_key(
        uow=uow,
        merchant_id=principal.merchant_id,
        role=role,
        locations=body.locations,
        label=body.label,
        known_locations=known,
    )
    out = ApiKeyOut.model_validate(issued.key, from_attributes=True)
    return ApiKeyCreated(**out.model_dump(), key=issued.secret)


@router.get("", response_model=Page[ApiKeyOut])
async def list_api_keys(principal: KeyManager, uow: UowDep) -> Page[ApiKeyOut]:
    """Every key of the merchant, without secrets."""
    keys = await service.list_keys(uow=uow, merchant_id=principal.merchant_id)
    return Page[ApiKeyOut](items=[ApiKeyOut.model_validate(k, from_attributes=True) for k in keys])


@router.delete("/{key_id}", response_model=ApiKeyOut)
async def revoke_api_key(key_id: uuid.UUID, principal: KeyManager, uow: UowDep) -> ApiKeyOut:
    """Revoke a key; it stops working at once."""
    key = await service.revoke_key(uow=uow, merchant_id=principal.merchant_id, key_id=key_id)
    return ApiKeyOut.model_validate(key, from_attributes=True)
