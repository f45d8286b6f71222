"""Settings, read from ``OMNILOOP_*`` environment variables and validated at start."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be told from outside."""

    model_config = SettingsConfigDict(env_prefix="OMNILOOP_", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite+aiosqlite:///{Path.cwd() / 'omniloop.db'}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool = True
    sandbox: bool = Field(
        default=True,
        description="Offer the built-in sandbox payment provider (turn off in production).",
    )
    public_base_url: str | None = Field(
        default=None,
        description="Base URL the outside world reaches this service at (channel webhook URLs, "
        "payment callbacks); default http://<host>:<port>.",
    )
    order_payment_timeout_seconds: int = Field(default=900, ge=30, le=7 * 24 * 3600)
    order_sweep_seconds: float = Field(default=5.0, gt=0, le=3600)
    demo_owner_key: str | None = Field(default=None, min_length=16)
    background_tasks: bool = Field(
        default=True,
        description="Run the outbox dispatcher and reservation sweeper inside the server.",
    )
    outbox_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    reservation_sweep_seconds: float = Field(default=5.0, gt=0, le=3600)
    reservation_default_ttl_seconds: int = Field(default=900, ge=1, le=7 * 24 * 3600)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_max_attempts: int = Field(default=12, ge=1, le=50)
    webhook_backoff_base_seconds: float = Field(default=1.0, gt=0, le=600)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    tier_recompute_seconds: float = Field(
        default=3600,
        gt=0,
        le=7 * 24 * 3600,
        description="How often every member's tier is recomputed.",
    )
    rfm_recompute_seconds: float = Field(
        default=86_400,
        gt=0,
        le=7 * 24 * 3600,
        description="How often every buyer's RFM (recency, frequency, monetary) is recomputed.",
    )
    points_expiry_seconds: float = Field(
        default=3600, gt=0, le=7 * 24 * 3600, description="How often overdue points are expired."
    )
    customer_token_ttl_seconds: int = Field(
        default=900, ge=60, le=24 * 3600, description="Lifetime of a customer's sign-in token."
    )
    otp_ttl_seconds: int = Field(
        default=300, ge=30, le=3600, description="Lifetime of a one-time sign-in code."
    )
    housekeeping_seconds: float = Field(
        default=3600, gt=0, le=86_400, description="How often stale sign-in rows are deleted."
    )
    otp_max_per_client_per_hour: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Sign-in codes one client address may ask for an hour, to any phones "
        "(behind a proxy, set FORWARDED_ALLOW_IPS so uvicorn trusts its X-Forwarded-For).",
    )
    member_code_ttl_seconds: int = Field(
        default=60, ge=10, le=600, description="Lifetime of a member code (会员码)."
    )
    sms_sender: str = Field(
        default="sandbox",
        description="Registered SMS sender for one-time codes (the sandbox one needs sandbox on).",
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {value.split('://', 1)[0]!r})"
            )
        return value

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(Exception):
    """The environment holds settings that do not validate; the message says which."""


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings, turning a validation failure into one clear message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "OMNILOOP_" + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"  {name}: {err['msg']}")
        raise SettingsError("invalid configuration:\n" + "\n".join(lines)) from None
