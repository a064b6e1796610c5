"""Request numbers: per facility and year; past 9999; distinct when filed at the same moment."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from cellblock.conftest import build_facility
from cellblock.core.numbers import next_number, save_numbered
from cellblock.core.roles import Role
from cellblock.core.threads_for_tests import run_together
from cellblock.requests.models import InmateRequest
from cellblock.requests.services import request_file


@pytest.mark.django_db
def test_numbers_grow_a_digit_past_9999(file_request, clock):
    file_request()
    InmateRequest.objects.update(number="TST-REQ-2026-9999")
    assert file_request().number == "TST-REQ-2026-10000"
    assert file_request().number == "TST-REQ-2026-10001"


@pytest.mark.django_db
def test_each_facility_counts_its_own(file_request, clock):
    file_request()
    other = build_facility("OTH", "Other Jail")
    numbered = InmateRequest.objects.filter(facility=other.facility)
    assert next_number(numbered, "OTH-REQ-2026-") == "OTH-REQ-2026-0001"


@pytest.mark.django_db
def test_a_refusal_that_is_not_the_number_is_raised_as_it_is(file_request, clock):
    first = file_request()
    copy = InmateRequest.objects.get(pk=first.pk)
    copy.pk = None
    copy.public_id = first.public_id  # unique too, and not the number
    with pytest.raises(IntegrityError):
        save_numbered(
            copy, numbered=InmateRequest.objects.all(), prefix="TST-REQ-2026-",
            taken_message="taken", taken_code="taken",
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_requests_filed_at_the_same_moment_are_numbered_one_after_the_other(
    officer, kakashi, staff_factory
):
    officers = [officer, *(staff_factory(f"officer_{n}", Role.OFFICER) for n in (2, 3))]

    def file(who):
        return lambda: (
            request_file(
                actor=who, booking=kakashi, kind="request", subject="Phone call",
                text="To my lawyer.", addressee_role="officer",
            ).number
        )  # fmt: skip

    results, errors = run_together(*(file(who) for who in officers))
    assert errors == []
    assert sorted(str(number).rsplit("-", 1)[1] for number in results) == ["0001", "0002", "0003"]
    assert InmateRequest.objects.count() == 3
