"""What every benchmark needs: run a child process per engine on a database made for it.

``run_per_engine`` starts ``python -m <module> --child`` once on a temporary
SQLite file and once on a PostgreSQL database named ``database`` (when
``scripts/ensure-postgres`` finds or starts a server), and collects the JSON
line each child prints last.  The child calls ``setup_child_django`` first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def postgres_url(database: str) -> str | None:
    try:
        base = subprocess.run(
            ["bash", str(ROOT / "scripts" / "ensure-postgres")],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return base.rsplit("/", 1)[0] + f"/{database}"


def run_per_engine(module: str, database: str) -> dict[str, Any]:
    """``{engine: the child's result}`` for SQLite and, when available, PostgreSQL."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"sqlite": f"sqlite:///{tmp}/bench.sqlite3"}
        postgres = postgres_url(database)
        if postgres:
            urls["postgresql"] = postgres
        for engine, url in urls.items():
            env = {
                **os.environ,
                "CELLBLOCK_DATABASE_URL": url,
                "CELLBLOCK_VAR_DIR": tmp,
                "CELLBLOCK_MEDIA_ROOT": f"{tmp}/media",
                "CELLBLOCK_DEBUG": "0",
            }
            child = subprocess.run(
                [sys.executable, "-m", module, "--child"],
                check=True, capture_output=True, text=True, env=env, cwd=ROOT,
            )  # fmt: skip
            results[engine] = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"  {engine}: {json.dumps(results[engine])}", file=sys.stderr)
    return results


def setup_child_django() -> None:
    """Start Django in the child and give it a fresh, migrated database."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cellblock.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        _recreate_postgres_database(settings.DATABASES["default"])
    call_command("migrate", verbosity=0)


def _recreate_postgres_database(config: dict[str, Any]) -> None:
    import psycopg

    conninfo = {
        "host": config["HOST"] or None, "port": config["PORT"] or None,
        "user": config["USER"] or None, "password": config["PASSWORD"] or None,
        "dbname": "postgres",
    }  # fmt: skip
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
