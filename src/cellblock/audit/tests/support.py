"""Test helpers that reach past the application: the triggers and raw SQL.

``tampering()`` sets the append-only triggers aside for a moment, as someone
with a SQL prompt and the table owner's rights could, so tests can prove the
chain still notices.  ``flushable_audit_trail`` lets a transactional test end
with the usual flush of every table (see ``conftest.py``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models.signals import post_migrate

_MIGRATION = importlib.import_module(
    "cellblock.audit.migrations.0002_head_row_and_append_only_triggers"
)
_SQLITE_TRIGGERS = ("audit_event_no_update", "audit_event_no_delete")
_POSTGRES_TRIGGERS = ("audit_event_no_update", "audit_event_no_truncate")


def settle_deferred_checks() -> None:
    """PostgreSQL will not alter or truncate a table while checks wait for the commit.

    Django's foreign keys are checked at commit; inside a test's transaction
    this runs them now.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def triggers_off() -> None:
    settle_deferred_checks()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in _POSTGRES_TRIGGERS:
                cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {name}")
        else:
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def triggers_on() -> None:
    settle_deferred_checks()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in _POSTGRES_TRIGGERS:
                cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {name}")
        else:
            for statement in _MIGRATION.SQLITE_UP:
                cursor.execute(
                    re.sub(r"CREATE TRIGGER (?!IF)", "CREATE TRIGGER IF NOT EXISTS ", statement)
                )


@contextmanager
def tampering() -> Iterator[None]:
    """Behind the application's back: the triggers are off inside the block."""
    triggers_off()
    try:
        yield
    finally:
        triggers_on()


def raw_update(seq: int, **values: Any) -> None:
    """``UPDATE audit_auditevent SET ... WHERE seq = %s`` in plain SQL."""
    assignments = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET {assignments} WHERE seq = %s",  # noqa: S608
            [*values.values(), seq],
        )


def raw_delete(seq: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [seq])


def _after_flush(**kwargs: Any) -> None:
    from cellblock.audit.models import AuditHead

    post_migrate.disconnect(dispatch_uid=__name__)
    triggers_on()
    AuditHead.objects.get_or_create(pk=1)


def flushable_audit_trail() -> None:
    """Call at the end of a transactional test, before its flush of every table.

    The triggers refuse the flush's DELETE (SQLite) and TRUNCATE (PostgreSQL),
    so they are set aside for it; the post_migrate signal the flush sends then
    puts them back and seeds the head row again, as a fresh database has it.
    """
    triggers_off()
    post_migrate.connect(
        _after_flush, sender=apps.get_app_config("audit"), weak=False, dispatch_uid=__name__
    )
