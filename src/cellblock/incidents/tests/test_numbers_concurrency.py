"""Officers reporting incidents at the same moment, each on their own connection: distinct numbers.

On PostgreSQL the second insert waits on the unique number, fails when the
first commits, and takes the next number; SQLite queues the two writers whole.
"""

from __future__ import annotations

import pytest

from cellblock.core.roles import Role
from cellblock.core.threads_for_tests import run_together
from cellblock.incidents.models import Incident
from cellblock.incidents.services import incident_report

pytestmark = pytest.mark.django_db(transaction=True)


def test_reports_made_at_the_same_moment_are_numbered_one_after_the_other(
    site, officer, staff_factory
):
    officers = [officer, *(staff_factory(f"officer_{n}", Role.OFFICER) for n in (2, 3))]

    def report(who):
        return lambda: (
            incident_report(
                actor=who,
                facility=site.facility,
                kind="assault",
                narrative="A fight.",
                place="yard",
            ).number
        )

    results, errors = run_together(*(report(who) for who in officers))
    assert errors == []
    # The year is today's (no time travel across threads): compare the serials.
    assert sorted(str(number).rsplit("-", 1)[1] for number in results) == ["0001", "0002", "0003"]
    assert Incident.objects.count() == 3
