"""Roles and what each may do; plain Python.

Four roles hold API keys:

- ``owner``: everything, including issuing and revoking keys;
- ``operator``: runs the chain (locations, catalog, prices, inventory, webhooks);
- ``store_staff``: bound to a list of location codes; reads the catalog and acts on stock,
  reservations and orders of its own locations only (rings up POS orders, works the queue);
- ``integrator``: an ERP, WMS or channel system: reads everything, writes catalog, stock,
  reservations and webhooks, but not locations or keys.

Customers are principals too, but hold no API key: a short-lived token from phone + one-time
code (``customer``) acts only as its own member (``SELF``), and every route a customer may
call checks that the member it touches is the token's own.
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
    CUSTOMER = "customer"


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
    MEMBERS_READ = "members:read"
    MEMBERS_WRITE = "members:write"
    MEMBERS_PERSONAL_DATA = "members:personal_data"
    MEMBERS_MERGE = "members:merge"
    MEMBER_SCAN = "members:scan"
    LOYALTY_MANAGE = "loyalty:manage"
    WALLET_TOP_UP = "wallet:top_up"
    MARKETING_READ = "marketing:read"
    MARKETING_MANAGE = "marketing:manage"
    SELF = "self"


_ALL = frozenset(Permission) - {Permission.SELF}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: _ALL,
    Role.OPERATOR: _ALL - {Permission.API_KEYS_MANAGE},
    Role.INTEGRATOR: _ALL
    - {Permission.API_KEYS_MANAGE, Permission.LOCATIONS_WRITE, Permission.LOYALTY_MANAGE},
    Role.CUSTOMER: frozenset({Permission.SELF}),
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
            Permission.MEMBERS_READ,
            Permission.MEMBERS_WRITE,
            Permission.MEMBER_SCAN,
            Permission.WALLET_TOP_UP,
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
    member_id: uuid.UUID | None = None
    """Set for customers: the one member this principal is."""

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
        store staff never see them (they must be told the code by the customer). Customers
        see the codes of their own orders (the only orders they can reach)."""
        return self.role in (Role.OWNER, Role.INTEGRATOR, Role.CUSTOMER)

    @property
    def is_customer(self) -> bool:
        return self.role is Role.CUSTOMER

    def may_act_for_member(self, member_id: uuid.UUID) -> bool:
        """Customers act only as themselves; staff roles by their permissions."""
        return not self.is_customer or self.member_id == member_id

    @property
    def may_see_personal_data(self) -> bool:
        """Full phone numbers and names of members (store staff see them masked)."""
        return self.can(Permission.MEMBERS_PERSONAL_DATA) or self.is_customer

    @property
    def actor(self) -> str:
        """How ledgers and histories name this caller."""
        if self.is_customer:
            return f"member:{self.member_id}"
        return f"api_key:{self.key_id}"


KEY_PREFIX = "olk_"


def looks_like_key(token: str) -> bool:
    return 16 <= len(token) <= 512 and token.isprintable() and " " not in token
