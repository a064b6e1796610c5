"""System checks that refuse an unsafe production configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

E_SECRET = "cellblock.E001"
E_DEBUG = "cellblock.E002"
E_SQLITE = "cellblock.E003"


@register(Tags.security, deploy=False)
def production_safety(app_configs: Any, **kwargs: Any) -> list[Error]:
    if not getattr(settings, "PRODUCTION", False):
        return []
    errors: list[Error] = []
    if settings.SECRET_KEY == settings.INSECURE_DEFAULT_SECRET_KEY or len(settings.SECRET_KEY) < 50:
        errors.append(
            Error(
                "CELLBLOCK_SECRET_KEY is the development default or shorter than 50 characters.",
                hint="Set CELLBLOCK_SECRET_KEY to a long random value.",
                id=E_SECRET,
            )
        )
    if settings.DEBUG:
        errors.append(
            Error(
                "DEBUG is on in production.",
                hint="Unset CELLBLOCK_DEBUG.",
                id=E_DEBUG,
            )
        )
    for alias, config in settings.DATABASES.items():
        if config["ENGINE"].endswith("sqlite3"):
            errors.append(
                Error(
                    f"Database {alias!r} is SQLite; production runs on PostgreSQL.",
                    hint="Set CELLBLOCK_DATABASE_URL to a postgresql:// URL.",
                    id=E_SQLITE,
                )
            )
    return errors
