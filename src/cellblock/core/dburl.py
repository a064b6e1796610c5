"""Turn ``CELLBLOCK_DATABASE_URL`` into a Django ``DATABASES`` entry.

Supported forms::

    sqlite:///relative/path.sqlite3        (relative to the working directory)
    sqlite:////absolute/path.sqlite3
    postgresql://user:pass@host:5432/name?sslmode=require
    postgresql://user@h1:5432,h2:5433/name?target_session_attrs=read-write

The multi-host form is what a pg_auto_failover formation hands out: libpq
tries the hosts in order and keeps the one that accepts writes.  Django passes
``HOST`` and ``PORT`` straight to libpq, which accepts comma-separated lists, so
the lists are kept as they are rather than split into several databases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql"})


class DatabaseUrlError(ValueError):
    """The database URL cannot be understood."""


def sqlite_options(busy_timeout_seconds: int = 20) -> dict[str, Any]:
    """SQLite tuned for a single server process with many officer requests."""
    return {
        # Writers take the lock at BEGIN, so two writers queue instead of one
        # failing with "database is locked" half-way through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": busy_timeout_seconds,
        # WAL lets readers carry on during a write; FULL makes a commit durable
        # across power loss, which an audit trail needs.
        "init_command": ("PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;"),
    }


def parse_database_url(url: str, *, base_dir: Path | None = None) -> dict[str, Any]:
    """Return a ``DATABASES['default']`` dict for ``url``."""
    if not url:
        raise DatabaseUrlError("CELLBLOCK_DATABASE_URL is empty.")
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme == "sqlite":
        return _sqlite(rest, base_dir=base_dir)
    if scheme in POSTGRES_SCHEMES:
        return _postgres(url)
    raise DatabaseUrlError(
        f"CELLBLOCK_DATABASE_URL: unsupported scheme {scheme!r}; use sqlite:// or postgresql://."
    )


def _sqlite(rest: str, *, base_dir: Path | None) -> dict[str, Any]:
    # sqlite:///var/db.sqlite3 -> rest "/var/db.sqlite3" (relative);
    # sqlite:////abs/db.sqlite3 -> rest "//abs/db.sqlite3" (absolute).
    path_text = rest[1:] if rest.startswith("/") else rest
    if not path_text:
        raise DatabaseUrlError("CELLBLOCK_DATABASE_URL: a sqlite URL needs a file path.")
    path = Path(path_text)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": sqlite_options(),
    }


def _postgres(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, _, hostlist = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    hosts: list[str] = []
    ports: list[str] = []
    for entry in filter(None, hostlist.split(",")):
        host, port = _split_host_port(entry)
        hosts.append(host)
        ports.append(port)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise DatabaseUrlError("CELLBLOCK_DATABASE_URL: a postgresql URL needs a database name.")
    options: dict[str, Any] = dict(parse_qsl(parts.query))
    config: dict[str, Any] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(user),
        "PASSWORD": unquote(password),
        "HOST": ",".join(hosts),
        # libpq wants one port per host, or a single port for all of them.
        "PORT": ",".join(ports) if any(ports) else "",
        # Reuse connections, but check them before use so a failover is noticed
        # on the next request instead of surfacing as an error to an officer.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }
    if any(ports) and not all(ports):
        raise DatabaseUrlError(
            "CELLBLOCK_DATABASE_URL: give a port for every host or for none of them."
        )
    return config


def _split_host_port(entry: str) -> tuple[str, str]:
    if entry.startswith("["):  # [::1]:5432
        host, _, tail = entry[1:].partition("]")
        return host, tail.lstrip(":")
    host, _, port = entry.partition(":")
    if port and not port.isdigit():
        raise DatabaseUrlError(f"CELLBLOCK_DATABASE_URL: port {port!r} is not a number.")
    return unquote(host), port
