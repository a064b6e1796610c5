"""Two supervisors acknowledging the same conflict at the same moment, each on their connection.

The encounter row is locked before its state is read (PostgreSQL), and SQLite
takes its write lock when the transaction begins: either way one
acknowledgement is recorded and the other is told who gave it.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.classification.services import staff_conflict_create
from cellblock.core import clock as core_clock
from cellblock.core.errors import Conflict
from cellblock.core.roles import Role
from cellblock.core.threads_for_tests import run_together
from cellblock.medical.models import Encounter, EncounterStatus
from cellblock.medical.services.encounters import encounter_acknowledge, encounter_schedule

pytestmark = [pytest.mark.usefixtures("clock"), pytest.mark.django_db(transaction=True)]

ROUNDS = 3


def test_two_supervisors_acknowledging_at_once_one_does_it(site, admit, medic, staff_factory):
    sakura = staff_factory("sakura_haruno", Role.MEDICAL)
    supervisors = [staff_factory(name, Role.SUPERVISOR) for name in ("shizune", "tsunade")]
    for round_ in range(ROUNDS):
        held = admit(f"Uchiha{round_}", born=dt.date(1996, 7, 23), housed=False)
        staff_conflict_create(
            actor=None, facility=site.facility, person=held.person, staff=sakura,
            kind="alleged_victim", reason="Attempted murder charge",
        )  # fmt: skip
        encounter = encounter_schedule(
            actor=medic, booking=held, kind="treatment", provider=sakura,
            scheduled_for=core_clock.now() + dt.timedelta(hours=1), place="clinic",
        ).encounter  # fmt: skip
        assert encounter.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT

        done, errors = run_together(
            *(
                partial(
                    encounter_acknowledge,
                    actor=supervisor,
                    encounter=encounter,
                    note=f"{supervisor.username}: Hiroki stays at the door.",
                )
                for supervisor in supervisors
            )
        )

        assert len(done) == 1
        [error] = errors
        assert isinstance(error, Conflict)
        assert error.code == "not_awaiting_acknowledgement"
        stored = Encounter.objects.select_related("acknowledged_by").get(pk=encounter.pk)
        assert stored.status == EncounterStatus.SCHEDULED
        winner = stored.acknowledged_by
        assert winner is not None
        assert winner in supervisors
        assert stored.acknowledgement_note.startswith(winner.username)
        assert error.message == (f"This conflict was acknowledged by {winner} at 2026-03-14 18:00.")
        events = AuditEvent.objects.filter(
            action="encounter.acknowledge", object_id=str(stored.public_id)
        )
        assert events.count() == 1
