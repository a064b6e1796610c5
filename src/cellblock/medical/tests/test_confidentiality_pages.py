"""No page shows clinical text to anyone but medical staff (the issue's acceptance test).

A real record is filled through the services with one CANARY string in every
clinical text field (screening answers, referral and notes; the complaint;
the reason, findings, treatment and follow-up of encounters; notes; injury
descriptions; consent treatments and statements).  Then every non-medical
role walks every page of the ``medical`` namespace (found from the URLconf,
so a page added later is walked too), GET and POST, as a page and as an htmx
fragment, plus every custody page that shows medical facts: the profile, the
rounds, the bed board, the dashboard, the alert board, the roster and the
audit log.  The canary must never come back.  A medic opening the record does
see it, which proves the walker can fail.

Vital signs and the enumerated fields (risk levels, injury location and
status) hold no free text a canary can ride in; the API walker covers their
schemas (test_confidentiality_api.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.classification.services import staff_conflict_create
from cellblock.conftest import SmallFacility
from cellblock.core import clock
from cellblock.core.access import Endpoint, endpoints
from cellblock.core.roles import Role
from cellblock.housing.services import bed_assign
from cellblock.medical.models import (
    BodyLocation,
    BreakGlass,
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
from cellblock.medical.screening import CLEAR_ANSWERS, QUESTIONS, TEXT
from cellblock.medical.services.access import break_glass_open
from cellblock.medical.services.care_alerts import care_alert_set
from cellblock.medical.services.consent import consent_record
from cellblock.medical.services.encounters import (
    clinical_note_add,
    encounter_complete,
    encounter_refuse,
    encounter_schedule,
    encounter_start,
    injury_record,
    vitals_record,
)
from cellblock.medical.services.screening import screening_record
from cellblock.medical.services.sick_calls import sick_call_file

pytestmark = pytest.mark.django_db

CANARY = "CANARY-c1in1cal-7f3a"
# Everyone who is not medical staff; the commander has no break-glass open.
NON_MEDICAL = (
    Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.COMMANDER, Role.BOOKING, Role.VISITS,
    Role.ADMIN,
)  # fmt: skip
_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


@pytest.fixture
def frozen() -> Iterator[Any]:
    import time_machine

    with time_machine.travel(dt.datetime(2026, 3, 14, 18, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@dataclass
class Planted:
    """The record, and the public ids of every thing a medical URL can name."""

    booking: Booking
    ids: dict[str, list[str]]


@pytest.fixture
def planted(
    frozen: Any,
    site: SmallFacility,
    staff_factory: Callable[..., User],
    medic: User,
    commander: User,
) -> Planted:
    """Sasuke's record with the canary in every clinical text field there is."""
    from cellblock.booking.services import booking_open, booking_transition
    from cellblock.people.services import person_create

    sakura = staff_factory("sakura", Role.MEDICAL)
    witness = staff_factory("walt_witness", Role.OFFICER)
    other_commander = staff_factory("tsunade", Role.COMMANDER)
    person = person_create(
        actor=None, facility=site.facility, given_name="Sasuke", family_name="Uchiha",
        sex="male", date_of_birth=dt.date(1996, 7, 23),
    )  # fmt: skip
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    booking = booking_transition(actor=None, booking=booking, to="in_custody")
    texts = {q.key: CANARY for q in QUESTIONS if q.type == TEXT}
    # Sent to hospital first (the referral and notes), then cleared on return.
    screening_record(
        actor=medic, booking=booking, answers={**CLEAR_ANSWERS, **texts, "bleeding": True},
        referral=f"{CANARY} hospital", notes=CANARY,
    )  # fmt: skip
    screening_record(actor=medic, booking=booking, answers={**CLEAR_ANSWERS, **texts}, notes=CANARY)
    bed_assign(actor=None, booking=booking, bed=site.cells[0].beds.order_by("code")[0])
    staff_conflict_create(
        actor=commander, facility=site.facility, person=person, staff=sakura,
        kind="alleged_victim", reason="Sakura is the alleged victim.",
    )  # fmt: skip
    now = clock.now()
    waiting = sick_call_file(
        actor=witness, booking=booking, complaint=CANARY, via=SickCallVia.OFFICER
    )
    queued = sick_call_file(actor=medic, booking=booking, complaint=CANARY, via=SickCallVia.MEDICAL)
    refusal = consent_record(
        actor=medic, booking=booking, decision=ConsentDecision.REFUSAL,
        scope=ConsentScope.GENERAL, except_provider=sakura, witness=witness, statement=CANARY,
    )  # fmt: skip
    consent_record(
        actor=medic, booking=booking, decision=ConsentDecision.CONSENT,
        scope=ConsentScope.TREATMENT, treatment=CANARY, statement=CANARY,
    )  # fmt: skip

    def schedule(provider: User, hours: int, **more: Any) -> Any:
        return encounter_schedule(
            actor=medic, booking=booking, kind=EncounterKind.TREATMENT, provider=provider,
            scheduled_for=now + dt.timedelta(hours=hours), place=EncounterPlace.CLINIC,
            reason=CANARY, **more,
        ).encounter  # fmt: skip

    # Booked for tomorrow, from the second sick call: on the work list.
    upcoming = schedule(medic, 15, sick_call=queued)
    # With the alleged victim: waits for a supervisor (the acknowledgement form).
    schedule(sakura, 3)
    # Done now: findings, treatment, follow-up, a note, vitals and an injury in it.
    seen = schedule(medic, 0)
    encounter_start(actor=medic, encounter=seen)
    clinical_note_add(actor=medic, booking=booking, text=CANARY, encounter=seen)
    vitals_record(actor=medic, booking=booking, encounter=seen, pulse=88, systolic=131)
    injury = injury_record(
        actor=medic, booking=booking, location=BodyLocation.FACE, description=CANARY,
        encounter=seen,
    )  # fmt: skip
    encounter_complete(
        actor=medic, encounter=seen, findings=CANARY, treatment=CANARY, follow_up=CANARY,
        follow_up_due=now.date() + dt.timedelta(days=3),
    )  # fmt: skip
    # Refused at the door, the person's words recorded.
    encounter_refuse(actor=medic, encounter=schedule(medic, 1), witness=witness, statement=CANARY)
    clinical_note_add(actor=medic, booking=booking, text=CANARY)
    alert = care_alert_set(actor=medic, booking=booking, kind=CareAlertKind.MONITOR_MEALS)
    access = break_glass_open(actor=other_commander, booking=booking, reason="He collapsed.")
    del upcoming, refusal, injury, alert, access, waiting

    def every(model: type[Any], **where: Any) -> list[str]:
        return [
            str(key) for key in model.objects.filter(**where).values_list("public_id", flat=True)
        ]

    return Planted(
        booking=booking,
        ids={
            "booking_number": [booking.booking_number],
            "encounter_id": every(Encounter, booking=booking),
            "sick_call_id": every(SickCall, booking=booking),
            "injury_id": every(Injury, booking=booking),
            "consent_id": every(ConsentRecord, booking=booking),
            "alert_id": every(CareAlert, booking=booking),
            "access_id": every(BreakGlass, booking=booking),
        },
    )


def medical_pages() -> list[Endpoint]:
    return [e for e in endpoints() if not e.is_api and e.name.startswith("medical:")]


def urls_of(endpoint: Endpoint, ids: dict[str, list[str]]) -> list[str]:
    """The page's route with every real id in turn; a new kind of id must be planted."""
    names = [match["name"] for match in _CONVERTER.finditer(endpoint.route)]
    for name in names:
        assert ids.get(name), f"{endpoint.name}: no id planted for <{name}>; add it to planted()"
    urls = []
    for values in itertools.product(*(ids[name] for name in names)):
        route = endpoint.route
        for value in values:
            route = _CONVERTER.sub(value, route, count=1)
        urls.append("/" + route)
    return urls


def custody_pages(site: SmallFacility, planted: Planted) -> list[str]:
    """The pages outside medical that show what custody may know of medical."""
    number = planted.booking.booking_number
    cell = site.cells[0]
    return [
        reverse("booking:profile", args=[number]),
        reverse("booking:roster"),
        reverse("custody:rounds"),
        reverse("custody:rounds") + f"?unit={site.unit.public_id}&cell={cell.public_id}",
        reverse("custody:rounds_cell", args=[cell.public_id]),
        reverse("custody:rounds_due") + "?within=60",
        reverse("housing:board"),
        reverse("housing:unit", args=[site.unit.public_id]),
        reverse("core:dashboard"),
        reverse("compliance:board"),
        reverse("audit:log"),
        reverse("audit:log") + f"?q={number}",
    ]


def walk(client: Client, url: str, query: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Every way a page answers: GET as a page and as htmx, with the form's query, and POST."""
    htmx = {"HX-Request": "true"}
    for label, response in (
        ("GET", client.get(url)),
        ("GET ?query", client.get(url, query)),
        ("GET htmx", client.get(url, query, headers=htmx)),
        ("POST", client.post(url, {})),
        ("POST htmx", client.post(url, {}, headers=htmx)),
    ):
        headers = " ".join(f"{k}: {v}" for k, v in response.items())
        yield f"{label} {url} -> {response.status_code}", response.content.decode() + headers


@pytest.fixture
def walkers(
    staff_factory: Callable[..., User], client_for: Callable[[User], Client]
) -> list[tuple[str, Client]]:
    return [
        (role.value, client_for(staff_factory(f"walker_{role.value}", role)))
        for role in NON_MEDICAL
    ]


def test_the_walker_reaches_every_medical_page(planted: Planted) -> None:
    names = {e.name for e in medical_pages()}
    assert {
        "medical:worklist", "medical:record", "medical:encounter", "medical:screening",
        "medical:encounter_new", "medical:sick_call_new", "medical:break_glass",
    } <= names  # fmt: skip
    for endpoint in medical_pages():
        assert urls_of(endpoint, planted.ids)


def test_no_page_shows_clinical_text_to_anyone_but_medical_staff(
    planted: Planted, site: SmallFacility, walkers: list[tuple[str, Client]]
) -> None:
    ids = planted.ids
    query = {
        "booking": ids["booking_number"][0], "provider": "sakura",
        "sick_call": ids["sick_call_id"][0],
    }  # fmt: skip
    urls = [url for e in medical_pages() for url in urls_of(e, ids)] + custody_pages(site, planted)
    leaks = []
    walked = 0
    for who, client in walkers:
        for url in urls:
            for what, body in walk(client, url, query):
                walked += 1
                if CANARY in body:
                    leaks.append(f"{who}: {what}")
    assert not leaks, "clinical text shown to:\n" + "\n".join(leaks)
    assert walked >= len(NON_MEDICAL) * len(urls) * 5


def test_the_walker_can_fail_a_medic_sees_the_canary(
    planted: Planted, medic: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(medic)
    record = reverse("medical:record", args=[planted.booking.booking_number])
    assert client.get(record).content.decode().count(CANARY) >= 15
    assert CANARY in client.get(reverse("medical:worklist")).content.decode()
    for encounter_id in planted.ids["encounter_id"]:
        encounter = reverse("medical:encounter", args=[encounter_id])
        assert CANARY in client.get(encounter).content.decode()


def test_the_commander_reads_it_only_once_the_glass_is_broken(
    planted: Planted, commander: User, client_for: Callable[[User], Client]
) -> None:
    record = reverse("medical:record", args=[planted.booking.booking_number])
    client = client_for(commander)
    assert CANARY not in client.get(record).content.decode()
    break_glass_open(actor=commander, booking=planted.booking, reason="He stopped breathing.")
    assert CANARY in client.get(record).content.decode()
