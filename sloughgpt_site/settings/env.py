"""Reads configuration from the environment, with the embedded development services
(written by `sloughgpt_site.devservices` to var/services.json) as the fallback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("SLOUGHGPT_VAR_DIR", BASE_DIR / "var"))


def _embedded_services() -> dict[str, str]:
    # Written by devservices when it starts embedded PostgreSQL/Redis; absent otherwise.
    path = VAR_DIR / "services.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    return int(value) if value is not None else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def service_url(name: str) -> str | None:
    """DATABASE_URL or REDIS_URL from the environment, else from the embedded services."""
    return env_str(name) or _embedded_services().get(name)


def redis_db_url(base_url: str, db: int) -> str:
    """The same Redis server with another logical database, so broker, cache and channel
    layer never see each other's keys."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))
