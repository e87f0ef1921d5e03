"""Configuration: one ``Settings`` object, built once at start from ``FR_*`` variables.

Nothing here reads the environment at import time; :func:`load_settings` is called by the
composition root (:mod:`frontier_review.bootstrap`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    """``dev`` generates missing keys; ``prod`` refuses to start without real ones."""

    DEV = "dev"
    PROD = "prod"


class Settings(BaseSettings):
    """All runtime configuration. See ``docs/configuration.md`` for each variable."""

    model_config = SettingsConfigDict(env_prefix="FR_", extra="ignore", frozen=True)

    env: Environment = Environment.DEV
    data_dir: Path = Field(default=Path("var"))
    database_url: str | None = None
    redis_url: str | None = None
    master_key: SecretStr | None = Field(
        default=None,
        description="Base64 master key(s), comma-separated; the first is active.",
    )
    master_key_file: Path | None = None
    session_secret: SecretStr | None = None
    cookie_secure: bool | None = None
    session_max_age_seconds: int = Field(default=12 * 3600, gt=0)
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    login_max_failures: int = Field(default=5, gt=0)
    login_lockout_seconds: int = Field(default=900, gt=0)
    queue_name: str = Field(default="frontier-review", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    login_ip_max_attempts: int = Field(default=30, gt=0, description="Sign-in attempts allowed per client address per window.")
    login_ip_window_minutes: int = Field(default=5, gt=0, le=1440)
    run_stale_seconds: int = Field(
        default=90, gt=0, le=3600, description="A running benchmark run whose worker has not beaten for this long is re-queued."
    )
    checkpoint_interval_minutes: int = Field(default=15, gt=0, le=1440)
    audit_witness_path: Path | None = Field(
        default=None,
        description=(
            "File every signed audit checkpoint is appended to (JSON Lines), outside the database; "
            "default <data dir>/witness/audit-checkpoints.jsonl. In production, put it on other storage."
        ),
    )
    token_default_days: int = Field(default=90, gt=0, le=366)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, gt=0, lt=65536)
    gateway_allow_private_upstreams: bool = Field(
        default=False,
        description="Let developers register upstreams on loopback, private or link-local addresses (tests, demo).",
    )
    # clearinghouse — subscriptions
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="Let subscriptions send webhooks to loopback, private or link-local addresses (tests, demo).",
    )
    gateway_upstream_timeout_seconds: float = Field(default=300.0, gt=0, le=3600)
    gateway_max_body_bytes: int = Field(default=1_048_576, gt=0, description="Largest gateway request body (the prompt).")
    gateway_shed_lag_ms: float = Field(
        default=100.0,
        ge=0,
        description="Shed new gateway calls (503, retry-after) while the event loop lags more than this; 0 never sheds.",
    )
    artifact_max_bytes: int = Field(default=100 * 1024 * 1024, gt=0, description="Largest artifact or evidence upload.")
    smtp_url: str | None = Field(
        default=None,
        description="smtp://[user:password@]host:port for outgoing email; unset keeps mail in the local sink shown at /mail.",
    )
    mail_from: str = "frontier-review@localhost"
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The address people reach the web UI at (https://review.example.gov), for links in mail.",
    )
    trusted_proxies: str | None = Field(
        default=None,
        description="Comma-separated proxy addresses whose X-Forwarded-For is believed (for the audit log's client IP).",
    )

    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token Prometheus presents to /metrics (at least 32 characters); unset: /metrics answers 401.",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="OTLP/HTTP collector (http://collector:4318) that traces are exported to; unset: no tracing.",
    )
    otel_service_name: str = Field(default="frontier-review", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("metrics_token")
    @classmethod
    def _long_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (generate one with `openssl rand -hex 32`)")
        return value

    @field_validator("otel_exporter_otlp_endpoint", mode="before")
    @classmethod
    def _empty_endpoint(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        # psycopg 3 is the only PostgreSQL driver we ship; accept the plain scheme too.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+pysqlite:///{(self.data_dir / 'frontier-review.db').resolve()}"

    @property
    def resolved_audit_witness_path(self) -> Path:
        """The audit witness file: a directory of its own, never beside the SQLite database file."""
        return self.audit_witness_path or self.data_dir / "witness" / "audit-checkpoints.jsonl"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def resolved_master_key_file(self) -> Path:
        return self.master_key_file or self.keys_dir / "master.keys"

    @property
    def secure_cookies(self) -> bool:
        """Cookies are ``Secure`` in prod unless explicitly configured otherwise."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env is Environment.PROD

    @property
    def access_generation_key(self) -> str:
        """The Redis counter every committed change to who may call the gateway moves (``db.changes``)."""
        return f"{self.queue_name}:gateway:access-generation"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


class ConfigurationError(Exception):
    """The configuration cannot be used (for example, prod with generated keys)."""


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides (used by tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]


def check_production_ready(settings: Settings) -> None:
    """Refuse to run ``prod`` with generated keys, default secrets or insecure cookies."""
    if settings.env is not Environment.PROD:
        return
    problems: list[str] = []
    if settings.master_key is None and settings.master_key_file is None:
        problems.append("FR_MASTER_KEY or FR_MASTER_KEY_FILE must be set (no generated keys in prod)")
    if settings.master_key is None and settings.master_key_file is not None and not settings.master_key_file.exists():
        problems.append(f"FR_MASTER_KEY_FILE {settings.master_key_file} does not exist")
    secret = settings.session_secret.get_secret_value() if settings.session_secret else ""
    if len(secret) < 32:
        problems.append("FR_SESSION_SECRET must be set to at least 32 random characters")
    if not settings.secure_cookies:
        problems.append("cookies must be Secure in prod (unset FR_COOKIE_SECURE or set it to true)")
    if settings.is_sqlite:
        problems.append("prod needs FR_DATABASE_URL pointing at PostgreSQL")
    if problems:
        raise ConfigurationError("refusing to start in prod: " + "; ".join(problems))
