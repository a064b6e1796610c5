"""System checks: refuse an unsafe production configuration, flag undeclared access."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks import CheckMessage, Error, Tags, register

E_SECRET = "cellblock.E001"  # noqa: S105  (a check id, not a secret)
E_DEBUG = "cellblock.E002"
E_SQLITE = "cellblock.E003"
W_UNDECLARED_ACCESS = "cellblock.W001"

# Django's own advice for a key it considers strong (security.W009).
_MIN_SECRET_LENGTH = 50
_MIN_SECRET_UNIQUE_CHARACTERS = 5


def _weak_secret(key: str) -> bool:
    return (
        key == settings.INSECURE_DEFAULT_SECRET_KEY
        or len(key) < _MIN_SECRET_LENGTH
        or len(set(key)) < _MIN_SECRET_UNIQUE_CHARACTERS
        or key.startswith("django-insecure-")
    )


@register(Tags.security, deploy=False)
def production_safety(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    return production_problems(
        production=getattr(settings, "PRODUCTION", False),
        debug=settings.DEBUG,
        secret_key=settings.SECRET_KEY,
        databases=settings.DATABASES,
    )


def production_problems(
    *, production: bool, debug: bool, secret_key: str, databases: dict[str, dict[str, Any]]
) -> list[CheckMessage]:
    """What makes this configuration unfit for production (nothing outside it)."""
    if not production:
        return []
    errors: list[CheckMessage] = []
    if _weak_secret(secret_key):
        errors.append(
            Error(
                "CELLBLOCK_SECRET_KEY is the development default, shorter than "
                f"{_MIN_SECRET_LENGTH} characters or not random.",
                hint="Set CELLBLOCK_SECRET_KEY to a long random value.",
                id=E_SECRET,
            )
        )
    if debug:
        errors.append(
            Error(
                "DEBUG is on in production.",
                hint="Unset CELLBLOCK_DEBUG.",
                id=E_DEBUG,
            )
        )
    for alias, config in databases.items():
        if config["ENGINE"].endswith("sqlite3"):
            errors.append(
                Error(
                    f"Database {alias!r} is SQLite; production runs on PostgreSQL.",
                    hint="Set CELLBLOCK_DATABASE_URL to a postgresql:// URL.",
                    id=E_SQLITE,
                )
            )
    return errors


@register(Tags.security, Tags.urls)
def every_url_declares_access(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Deny by default: a page or API operation must say who may use it."""
    from cellblock.core.access import undeclared_endpoints

    return [
        checks.Warning(
            f"{endpoint.name or endpoint.route} (/{endpoint.route}) declares no access.",
            hint=(
                "Give the operation auth=api_requires(Perm.X) or api_signed_in()."
                if endpoint.is_api
                else "Decorate the view with @requires(Perm.X), @signed_in or @public."
            ),
            id=W_UNDECLARED_ACCESS,
        )
        for endpoint in undeclared_endpoints()
    ]
