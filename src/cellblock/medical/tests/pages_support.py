"""What the medical page tests share: case file 3's people, and a record with something in it.

Everything is made through the services, as on the ward: Sasuke held and
screened, Sakura a medic and his alleged victim, Shizune a supervisor who is
also a medic, a witnessed refusal of every medic but Sakura, an untreated
facial injury, a care alert, a sick call and an encounter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.classification.models import StaffConflict
from cellblock.classification.services import staff_conflict_create
from cellblock.conftest import SmallFacility
from cellblock.core import clock as core_clock
from cellblock.core.roles import Role
from cellblock.medical.models import (
    BodyLocation,
    CareAlert,
    CareAlertKind,
    ConsentDecision,
    ConsentRecord,
    ConsentScope,
    Encounter,
    EncounterKind,
    EncounterPlace,
    Injury,
    SickCall,
    SickCallVia,
)
from cellblock.medical.services.care_alerts import care_alert_set
from cellblock.medical.services.consent import consent_record
from cellblock.medical.services.encounters import encounter_schedule, injury_record
from cellblock.medical.services.sick_calls import sick_call_file

FACIAL = "Cuts and bruises across the left cheek, untreated."
MEALS = "Note whether each meal is eaten; tell medical of any missed."


def text(response: HttpResponse) -> str:
    """The page's text without tags, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured)


@pytest.fixture(name="held")
def held_fixture(clock: Any, admit: Callable[..., Booking]) -> Booking:
    """Sasuke Uchiha, in custody, screened clear and housed (an adult here: the small test
    jail has no juvenile unit, and the pages do not care about his age).  The clock stands
    still from here on (NOW in the medical conftest)."""
    return admit(born=dt.date(1996, 7, 23))


@pytest.fixture(name="sakura")
def sakura_fixture(staff_factory: Callable[..., User]) -> User:
    """Sakura Haruno, a medic on staff; Sasuke is alleged to have tried to kill her."""
    user = staff_factory("sakura", Role.MEDICAL)
    user.full_name = "Sakura Haruno"
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture(name="shizune")
def shizune_fixture(staff_factory: Callable[..., User]) -> User:
    """Shizune: the shift supervisor, also a medic."""
    user = staff_factory("shizune", Role.SUPERVISOR, Role.MEDICAL)
    user.full_name = "Shizune"
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture(name="victim_conflict")
def victim_conflict_fixture(
    site: SmallFacility, commander: User, held: Booking, sakura: User
) -> StaffConflict:
    return staff_conflict_create(
        actor=commander, facility=site.facility, person=held.person, staff=sakura,
        kind="alleged_victim", reason="Sakura Haruno is the alleged victim of the attempt.",
    )  # fmt: skip


@dataclass
class Chart:
    """A person's record with one of everything in it."""

    booking: Booking
    refusal: ConsentRecord
    injury: Injury
    alert: CareAlert
    sick_call: SickCall
    encounter: Encounter


def refuse_all_but(
    booking: Booking, *, medic: User, witness: User, accepted: User, statement: str = ""
) -> ConsentRecord:
    return consent_record(
        actor=medic, booking=booking, decision=ConsentDecision.REFUSAL,
        scope=ConsentScope.GENERAL, except_provider=accepted, witness=witness,
        statement=statement or "Will let nobody but Sakura near him.",
    )  # fmt: skip


@pytest.fixture(name="chart")
def chart_fixture(held: Booking, medic: User, witness: User, sakura: User, clock: Any) -> Chart:
    """Sasuke's record: refuses all but Sakura, a facial injury, meals watched, a sick call,
    and a treatment booked with another medic tomorrow."""
    refusal = refuse_all_but(held, medic=medic, witness=witness, accepted=sakura)
    injury = injury_record(
        actor=medic, booking=held, location=BodyLocation.FACE, description=FACIAL
    )
    alert = care_alert_set(actor=medic, booking=held, kind=CareAlertKind.MONITOR_MEALS)
    call = sick_call_file(
        actor=medic, booking=held, complaint="My face hurts.", via=SickCallVia.MEDICAL
    )
    scheduled = encounter_schedule(
        actor=medic, booking=held, kind=EncounterKind.TREATMENT, provider=medic,
        scheduled_for=core_clock.now() + dt.timedelta(hours=15), place=EncounterPlace.CLINIC,
        reason="Clean and dress the facial wounds.",
    )  # fmt: skip
    return Chart(held, refusal, injury, alert, call, scheduled.encounter)
