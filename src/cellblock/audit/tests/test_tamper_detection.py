"""Rows changed behind the application's back are found; the database refuses changes."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from cellblock.audit.chain import entry_hash, payload_of
from cellblock.audit.models import AppendOnlyError, AuditEvent, AuditHead
from cellblock.audit.selectors import audit_chain_verify, audit_head, head_signature
from cellblock.audit.tests.support import (
    raw_delete,
    raw_update,
    settle_deferred_checks,
    tampering,
)

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE triggers exist on PostgreSQL only"
)


@pytest.fixture
def chain(site, commander):
    """A few dozen events written by the services; returns the last seq."""
    last = AuditHead.objects.get(pk=1).seq
    assert last >= 8
    return last


def test_an_intact_chain_verifies(chain):
    result = audit_chain_verify()

    assert result.ok
    assert result.checked == chain


def test_a_reason_edited_in_sql_is_found_by_verify_naming_the_event(chain):
    with tampering():
        raw_update(5, reason="nothing happened here")

    result = audit_chain_verify()

    assert not result.ok
    assert result.first_bad_seq == 5
    assert "altered" in result.problem


def test_a_row_edited_in_sql_makes_the_cli_fail_naming_the_event(chain):
    with tampering():
        raw_update(3, actor_username="someone_else")

    with pytest.raises(CommandError, match=r"BROKEN at event #3\b"):
        call_command("audit", "verify")


def test_changes_edited_in_sql_are_found(chain):
    with tampering():
        raw_update(4, changes='{"role": "commander"}')

    assert audit_chain_verify().first_bad_seq == 4


def test_a_row_deleted_in_sql_leaves_a_gap_that_is_named(chain):
    with tampering():
        raw_delete(6)

    result = audit_chain_verify()

    assert result.first_bad_seq == 6
    assert "event #6 is missing" in result.problem


def test_the_last_rows_deleted_in_sql_are_caught_by_the_head_row(chain):
    with tampering():
        raw_delete(chain)
        raw_delete(chain - 1)

    result = audit_chain_verify()

    assert result.first_bad_seq == chain - 1
    assert "removed from the end" in result.problem
    with pytest.raises(CommandError, match=rf"#{chain - 1}\b"):
        call_command("audit", "verify")


def test_a_chain_rewritten_with_fresh_hashes_no_longer_matches_its_head(chain):
    rows = list(AuditEvent.objects.order_by("seq").values())
    rows[1]["reason"] = "rewritten history"
    with tampering():
        for before, row in itertools.pairwise(rows):
            row["prev_hash"] = before["entry_hash"]
            row["entry_hash"] = entry_hash(row["prev_hash"], payload_of(row))
            raw_update(row["seq"], prev_hash=row["prev_hash"], entry_hash=row["entry_hash"])
        raw_update(2, reason="rewritten history")

    result = audit_chain_verify()

    assert not result.ok
    assert result.first_bad_seq == chain
    assert "head" in result.problem


def test_a_rewrite_that_also_moves_the_head_is_exposed_by_the_signed_head_kept_outside(chain):
    anchored = audit_head()
    signature = head_signature(anchored.seq, anchored.entry_hash)
    rows = list(AuditEvent.objects.order_by("seq").values())
    rows[1]["reason"] = "rewritten history"
    with tampering():
        for before, row in itertools.pairwise(rows):
            row["prev_hash"] = before["entry_hash"]
            row["entry_hash"] = entry_hash(row["prev_hash"], payload_of(row))
            raw_update(
                row["seq"],
                reason=row["reason"],
                prev_hash=row["prev_hash"],
                entry_hash=row["entry_hash"],
            )
    AuditHead.objects.filter(pk=1).update(entry_hash=rows[-1]["entry_hash"])

    # The database alone cannot tell: the whole chain was recomputed ...
    assert audit_chain_verify().ok
    # ... but the head printed and kept elsewhere earlier no longer matches.
    head = audit_head()
    assert head.seq == anchored.seq
    assert head_signature(head.seq, head.entry_hash) != signature


# --- the database refuses changes -------------------------------------------


def test_the_database_refuses_a_raw_update(chain):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_update(2, reason="quietly")

    assert AuditEvent.objects.get(seq=2).reason != "quietly"


def test_the_database_refuses_a_raw_delete(chain):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_delete(2)

    assert AuditEvent.objects.filter(seq=2).exists()


def test_the_database_refuses_to_empty_the_table(chain):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():  # noqa: SIM117
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent")

    assert AuditEvent.objects.count() == chain


@postgres_only
def test_postgresql_refuses_truncate(chain):
    settle_deferred_checks()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():  # noqa: SIM117
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")

    assert AuditEvent.objects.count() == chain


def test_the_triggers_are_back_after_tampering(chain):
    with tampering():
        raw_update(2, reason="quietly")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_update(2, reason="again")


# --- the application offers no path to change an event ----------------------


def test_saving_an_existing_event_is_refused(chain):
    event = AuditEvent.objects.get(seq=2)
    event.reason = "edited"

    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["reason"])


def test_deleting_an_event_is_refused(chain):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.get(seq=2).delete()


def test_queryset_update_and_delete_are_refused(chain):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=2).update(reason="edited")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event = AuditEvent.objects.get(seq=2)
    event.reason = "edited"
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["reason"])


def test_a_new_instance_carrying_an_existing_id_cannot_overwrite_that_event(chain):
    original = AuditEvent.objects.get(seq=2)
    impostor = AuditEvent.objects.get(seq=2)
    impostor._state.adding = True
    impostor.reason = "overwritten"

    with pytest.raises(AppendOnlyError):
        impostor.save(force_update=True)
    with pytest.raises(DatabaseError), transaction.atomic():
        impostor.save()  # an INSERT, never an UPDATE: the id is taken

    assert AuditEvent.objects.get(pk=original.pk).reason == original.reason
    assert audit_chain_verify().ok
