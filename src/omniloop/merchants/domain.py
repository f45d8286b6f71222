"""Roles and what each may do; plain Python.

Four roles hold API keys:

- ``owner``: everything, including issuing and revoking keys;
- ``operator``: runs the chain (locations, catalog, prices, inventory, webhooks);
- ``store_staff``: bound to a list of location codes; reads the catalog and acts on stock,
  reservations and orders of its own locations only (rings up POS orders, works the queue);
- ``integrator``: an ERP, WMS or channel system: reads everything, writes catalog, stock,
  reservations and webhooks, but not locations or keys.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    OPERATOR = "operator"
    STORE_STAFF = "store_staff"
    INTEGRATOR = "integrator"


class Permission(StrEnum):
    LOCATIONS_READ = "locations:read"
    LOCATIONS_WRITE = "locations:write"
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"
    RESERVATIONS_WRITE = "reservations:write"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    ORDERS_FULFIL = "orders:fulfil"
    PAYMENTS_REFUND = "payments:refund"
    CHANNELS_MANAGE = "channels:manage"
    WEBHOOKS_MANAGE = "webhooks:manage"
    API_KEYS_MANAGE = "api_keys:manage"


_ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: _ALL,
    Role.OPERATOR: _ALL - {Permission.API_KEYS_MANAGE},
    Role.INTEGRATOR: _ALL - {Permission.API_KEYS_MANAGE, Permission.LOCATIONS_WRITE},
    Role.STORE_STAFF: frozenset(
        {
            Permission.LOCATIONS_READ,
            Permission.CATALOG_READ,
            Permission.INVENTORY_READ,
            Permission.INVENTORY_WRITE,
            Permission.RESERVATIONS_WRITE,
            Permission.ORDERS_READ,
            Permission.ORDERS_WRITE,
            Permission.ORDERS_FULFIL,
        }
    ),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a merchant's API key with its role and, for store staff, locations."""

    merchant_id: uuid.UUID
    key_id: uuid.UUID
    role: Role
    locations: frozenset[str] = field(default_factory=frozenset)

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def location_bound(self) -> bool:
        """True when the key acts only for its listed locations."""
        return self.role is Role.STORE_STAFF

    def may_act_at(self, location_code: str) -> bool:
        return not self.location_bound or location_code in self.locations

    @property
    def may_see_pickup_codes(self) -> bool:
        """Pickup codes are the customer's proof: owners and integrators may relay them,
        store staff never see them (they must be told the code by the customer)."""
        return self.role in (Role.OWNER, Role.INTEGRATOR)

    @property
    def actor(self) -> str:
        """How ledgers and histories name this caller."""
        return f"api_key:{self.key_id}"


KEY_PREFIX = "olk_"


def looks_like_key(token: str) -> bool:
    return 16 <= len(token) <= 512 and token.isprintable() and " " not in token
