"""`check --deploy` passes with a safe production configuration and names each unsafe one.

Two real ``manage.py`` runs (settings are read from the environment at start-up);
the checks one by one run in-process against overridden settings.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cellblock.core.checks import E_DEBUG, E_SECRET, E_SQLITE, production_problems

REPO_ROOT = Path(__file__).resolve().parents[4]
STRONG_KEY = secrets.token_urlsafe(48)  # 64 characters
SAFE_ENV = {
    "CELLBLOCK_ENV": "production",
    "CELLBLOCK_SECRET_KEY": STRONG_KEY,
    "CELLBLOCK_ALLOWED_HOSTS": "jail.example.org",
    "CELLBLOCK_DATABASE_URL": "postgresql://u@db/x",
}
POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}}
SQLITE = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}}


def deploy_check(**changes: str | None) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELLBLOCK_", "DJANGO_"))
    }
    env.update(SAFE_ENV)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """The safe configuration and an all-wrong one, checked side by side."""
    unsafe = {
        "CELLBLOCK_SECRET_KEY": None,
        "CELLBLOCK_DEBUG": "1",
        "CELLBLOCK_DATABASE_URL": "sqlite:///var/cellblock-check.sqlite3",
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        safe = pool.submit(deploy_check)
        wrong = pool.submit(deploy_check, **unsafe)
        return {"safe": safe.result(), "unsafe": wrong.result()}


def test_a_safe_production_configuration_passes_the_deploy_checks_with_no_issues(runs):
    safe = runs["safe"]
    assert safe.returncode == 0, safe.stderr
    assert "System check identified no issues" in safe.stdout


def test_the_default_key_debug_and_sqlite_fail_the_deploy_checks_by_name(runs):
    unsafe = runs["unsafe"]
    assert unsafe.returncode != 0
    for check_id in (E_SECRET, E_DEBUG, E_SQLITE):
        assert check_id in unsafe.stderr


def problems(**overrides):
    values: dict[str, Any] = {
        "production": True,
        "debug": False,
        "secret_key": STRONG_KEY,
        "databases": POSTGRES,
    }
    values.update(overrides)
    return [message.id for message in production_problems(**values)]


def test_the_safe_settings_raise_nothing():
    assert problems() == []


@pytest.mark.parametrize(
    "key",
    [
        "insecure-development-key-do-not-use-in-production",
        "s3cret-but-short",
        "a" * 64,
        "django-insecure-" + secrets.token_urlsafe(48),
    ],
    ids=["the development default", "too short", "not random", "django's placeholder"],
)
def test_a_weak_secret_key_is_refused_in_production(key):
    assert problems(secret_key=key) == [E_SECRET]


def test_debug_is_refused_in_production():
    assert problems(debug=True) == [E_DEBUG]


def test_sqlite_is_refused_in_production():
    assert problems(databases=SQLITE) == [E_SQLITE]


def test_outside_production_the_development_defaults_are_allowed():
    development = problems(
        production=False,
        debug=True,
        secret_key="insecure-development-key-do-not-use-in-production",
        databases=SQLITE,
    )
    assert development == []
