"""Routing tables: one rule set per merchant (no row: the default rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class RoutingRuleSet(MerchantScoped, Base):
    """The merchant's routing rules in their canonical JSON form (see routing.rules)."""

    __tablename__ = "routing_rule_set"

    rules: Mapped[dict[str, Any]] = mapped_column(JsonType)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),)
