"""Writers on separate connections append at the same moment; the chain stays whole."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from cellblock.audit.models import AuditEvent, AuditHead
from cellblock.audit.selectors import audit_chain_verify
from cellblock.audit.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 6
APPENDS_EACH = 15


@pytest.fixture(autouse=True)
def _one_database_for_every_thread(transactional_db):
    # Each thread opens its own connection; an in-memory SQLite database would
    # give each one a database of its own (settings give tests a file).
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("threads need a SQLite test database on a file, not in memory")


def _run_together(*targets) -> list[BaseException]:
    """Start every target at the same moment, each on its own connection."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target) -> None:
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    return errors


def _writer(number: int):
    def write() -> None:
        for n in range(APPENDS_EACH):
            with transaction.atomic():
                audit_record(actor=None, action="test.append", changes={"writer": number, "n": n})

    return write


def test_simultaneous_writers_leave_one_unbroken_chain_without_gaps_or_duplicates():
    errors = _run_together(*(_writer(number) for number in range(WRITERS)))

    assert errors == []
    total = WRITERS * APPENDS_EACH
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, total + 1)
    )
    head = AuditHead.objects.get(pk=1)
    assert head.seq == total
    assert head.entry_hash == AuditEvent.objects.get(seq=total).entry_hash
    result = audit_chain_verify()
    assert result.ok, result.problem
    assert result.checked == total


def test_every_writer_got_all_its_events_in_and_in_its_own_order():
    errors = _run_together(*(_writer(number) for number in range(WRITERS)))

    assert errors == []
    for number in range(WRITERS):
        mine = [
            changes["n"]
            for changes in AuditEvent.objects.filter(action="test.append")
            .order_by("seq")
            .values_list("changes", flat=True)
            if changes["writer"] == number
        ]
        assert mine == list(range(APPENDS_EACH))


def test_verifying_while_others_append_never_reports_a_false_break():
    writers = 3
    done = threading.Semaphore(0)
    results = []

    def verify_until_the_writers_are_done() -> None:
        finished = 0
        while finished < writers:
            results.append(audit_chain_verify())
            finished += done.acquire(blocking=False)

    def writer_that_says_when_done(number: int):
        write = _writer(number)

        def run() -> None:
            try:
                write()
            finally:
                done.release()

        return run

    errors = _run_together(
        verify_until_the_writers_are_done, *(writer_that_says_when_done(n) for n in range(writers))
    )

    assert errors == []
    assert len(results) > 1
    assert [r.problem for r in results if not r.ok] == []
    assert results[-1].checked == writers * APPENDS_EACH
