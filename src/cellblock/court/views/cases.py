"""Pages: the case list, opening a case, and one case with its charges, hearings and sentences.

The list sorts and filters in the browser like the other boards (tables.js);
the status select narrows it on the server.  A case is opened against a
person on record (held or not: a remand opens the booking from the court
record), with charges typed in or taken from the person's open booking.  The
case page shows every count with its verdict, the parties, the hearings
(scheduled, produced, concluded) and the sentences with the worked release
date, and holds the forms the court staff use: schedule or conclude a
hearing, add a count or a party.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cellblock.booking.models import Booking, Charge, ChargeSeverity
from cellblock.classification.models import ProtectedRole
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.court import selectors
from cellblock.court.models import (
    Case,
    Court,
    CreditKind,
    Hearing,
    HearingKind,
    HearingStatus,
    Sentence,
    Verdict,
)
from cellblock.court.services.cases import (
    CaseChargeData,
    case_charge_add,
    case_open,
    case_party_add,
)
from cellblock.court.services.hearings import hearing_conclude, hearing_schedule
from cellblock.court.services.release_dates import release_date_of
from cellblock.court.views.calendar import production_state
from cellblock.court.views.common import (
    CASE_TONE,
    HEARING_TONE,
    SENTENCE_TONE,
    VERDICT_TONE,
    FormProblems,
    breakdown_by_sentence,
    can,
    facility_for,
    field_errors,
    form_state,
    fragment,
    me,
    open_booking_of,
    people_matching,
    person_on_record,
    posted,
    problem_text,
    require_perm_at,
    staff_at,
    staff_named,
    term_text,
)
from cellblock.custody.models import Destination, Movement
from cellblock.people.models import Person, Sex
from cellblock.people.selectors import person_matches
from cellblock.people.services import person_create

OPENED = "Case {docket} opened against {person}."
SCHEDULED = "{kind} scheduled for {when}."
CONCLUDED = "Hearing recorded as {status}."
CHARGE_ADDED = "Count {number} added: {statute}."
PARTY_ADDED = "{person} added as {role}."
CHOOSE_PERSON = "choose the person from the search results, or record a new person."
NEW_PERSON_BIRTH = "must be a date (YYYY-MM-DD)."
MAYBE_ON_RECORD = (
    "{count} {people} on record may be this person: choose from the search results, or "
    'tick "Record a new person anyway".'
)
CHOOSE_COURT = "choose the court."
CHOOSE_PRESIDING = "choose the presiding officer from the staff here, or leave it empty."
CHOOSE_PARTY = "choose the person from the search results."
NEW_CASE_PAGE = "court/case_new.html"
# Blank charge rows on the new-case form; "More rows" adds this many.
CHARGE_ROWS = 3
MAX_CHARGE_ROWS = 30
STATUS_FILTERS = (("open", "Open"), ("disposed", "Disposed"), ("all", "All"))
CONCLUDE_CHOICES = [
    (value, label) for value, label in HearingStatus.choices if value != HearingStatus.SCHEDULED
]


def case_url(case: Case) -> str:
    return reverse("court:case", args=[case.public_id])


# --- The list ---------------------------------------------------------------------------


@require_GET
@requires(Perm.COURT_VIEW)
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases held here: open first by default; counts pending and the next hearing."""
    facility = facility_for(request, Perm.COURT_VIEW)
    status = request.GET.get("status", "open")
    status = status if status in dict(STATUS_FILTERS) else "open"
    now = clock.now()
    next_hearing = (
        Hearing.objects.filter(
            case=OuterRef("pk"), status=HearingStatus.SCHEDULED, scheduled_at__gte=now
        )
        .order_by("scheduled_at")
        .values("scheduled_at")[:1]
    )
    cases = (
        selectors.cases_of_facility(facility, status=None if status == "all" else status)
        .select_related("court", "person")
        .annotate(
            charge_total=Count("charges", distinct=True),
            charge_pending=Count(
                "charges", filter=Q(charges__verdict=Verdict.PENDING), distinct=True
            ),
            next_hearing_at=Subquery(next_hearing),
        )
    )
    rows = [(case, CASE_TONE.get(case.status, "muted")) for case in cases]
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "rows": rows,
        "status": status,
        "statuses": STATUS_FILTERS,
        "can_record": can(request, Perm.COURT_RECORD, facility.pk),
    }
    return render(request, "court/cases.html", context)


# --- Opening a case ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeRow:
    index: int
    statute: str
    description: str
    severity: str


def _charge_rows(form: dict[str, str], count: int) -> list[ChargeRow]:
    return [
        ChargeRow(
            n,
            form.get(f"statute-{n}", ""),
            form.get(f"description-{n}", ""),
            form.get(f"severity-{n}", ""),
        )
        for n in range(1, count + 1)
    ]


def _row_count(form: dict[str, str], more: bool) -> int:
    try:
        count = int(form.get("rows", "") or CHARGE_ROWS)
    except ValueError:
        count = CHARGE_ROWS
    count = max(1, min(count + (CHARGE_ROWS if more else 0), MAX_CHARGE_ROWS))
    return count


def _new_case_context(
    request: HttpRequest,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    refused: str = "",
    more: bool = False,
    picked: list[str] | None = None,
) -> dict[str, Any]:
    facility = facility_for(request, Perm.COURT_RECORD)
    person = person_on_record(facility, form.get("person", "")) if form.get("person") else None
    booking = open_booking_of(person) if person is not None else None
    booking_charges = list(Charge.objects.filter(booking=booking)) if booking else []
    search = form.get("person_q", "")
    rows = _row_count(form, more)
    return {
        "facility": facility,
        "tz": facility.timezone,
        "form": {**form, "rows": str(rows)},
        "errors": errors or {},
        "refused": refused,
        "courts": list(Court.objects.filter(agency_id=facility.agency_id).order_by("name")),
        "staff": staff_at(facility),
        "person": person,
        "booking": booking,
        "booking_charges": booking_charges,
        "picked": set(
            picked if picked is not None else [str(c.public_id) for c in booking_charges]
        ),
        "matches": people_matching(facility, search) if search else [],
        "searched": bool(search),
        "charge_rows": _charge_rows(form, rows),
        "severities": ChargeSeverity.choices,
        "sexes": Sex.choices,
        "can_record": True,
    }


def _prefill(request: HttpRequest) -> dict[str, str]:
    """A new case opened from a booking's profile names the person already."""
    form: dict[str, str] = {}
    number = request.GET.get("booking", "").strip()
    if number:
        booking = Booking.objects.filter(booking_number=number.upper()).select_related("person")
        found = booking.first()
        if found is not None and can(request, Perm.COURT_VIEW, found.facility_id):
            form["person"] = str(found.person.public_id)
    elif request.GET.get("person_q"):
        form["person_q"] = request.GET["person_q"].strip()
    return form


@require_http_methods(["GET", "POST"])
@requires(Perm.COURT_RECORD)
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case: the court, the docket, the person, who presides, and the counts."""
    facility = facility_for(request, Perm.COURT_RECORD)
    if request.method == "GET":
        context = _new_case_context(request, form=_prefill(request))
        return fragment(render(request, NEW_CASE_PAGE, context))
    form = posted(request)
    picked = request.POST.getlist("booking_charge")
    if "find" in request.POST or "more" in request.POST:
        # Searching for the person, or asking for more rows, sends nothing yet.
        context = _new_case_context(request, form=form, more="more" in request.POST, picked=picked)
        return fragment(render(request, NEW_CASE_PAGE, context))
    problems = FormProblems()
    court = next(
        (c for c in Court.objects.filter(agency_id=facility.agency_id)
         if str(c.public_id) == form.get("court")),
        None,
    )  # fmt: skip
    if court is None:
        problems.fields["court"] = CHOOSE_COURT
    person = person_on_record(facility, form.get("person", "")) if form.get("person") else None
    new_person = person is None and bool(
        form.get("new_given_name", "").strip() or form.get("new_family_name", "").strip()
    )
    born = None
    if new_person and form.get("new_date_of_birth"):
        try:
            born = dt.date.fromisoformat(form["new_date_of_birth"])
        except ValueError:
            problems.fields["new_date_of_birth"] = NEW_PERSON_BIRTH
    if person is None and not new_person:
        problems.fields["person"] = CHOOSE_PERSON
    elif (
        new_person
        and not form.get("confirm_new_person")
        and "new_date_of_birth" not in (problems.fields)
    ):
        # The same check as intake: a person on record is chosen, not recorded twice.
        matches = person_matches(
            agency_ids={facility.agency_id}, given_name=form.get("new_given_name", ""),
            family_name=form.get("new_family_name", ""), date_of_birth=born,
        )  # fmt: skip
        if matches:
            problems.fields["person"] = MAYBE_ON_RECORD.format(
                count=len(matches), people="person" if len(matches) == 1 else "people"
            )
            form = {**form, "person_q": form.get("new_family_name") or form["new_given_name"]}
    presiding_user = None
    if form.get("presiding_user"):
        presiding_user = staff_named(staff_at(facility), form["presiding_user"])
        if presiding_user is None:
            problems.fields["presiding_user"] = CHOOSE_PRESIDING
    if problems or court is None or (person is None and not new_person):
        context = _new_case_context(
            request, form=form, errors=problems.fields, refused=problems.error().message,
            picked=picked,
        )  # fmt: skip
        return fragment(render(request, NEW_CASE_PAGE, context, status=400))
    booking = open_booking_of(person) if person is not None else None
    charges = [
        CaseChargeData(
            statute=charge.statute, description=charge.description, severity=charge.severity,
            booking_charge=charge,
        )
        for charge in (Charge.objects.filter(booking=booking) if booking else [])
        if str(charge.public_id) in picked
    ]  # fmt: skip
    charges += [
        CaseChargeData(statute=row.statute, description=row.description, severity=row.severity)
        for row in _charge_rows(form, _row_count(form, False))
        if row.statute or row.description
    ]
    try:
        # A new person is recorded with the case or not at all.
        with transaction.atomic():
            charged = person or _person_recorded(request, form, born)
            case = case_open(
                actor=me(request), facility=facility, court=court,
                docket_number=form.get("docket_number", ""), person=charged,
                presiding_authority=form.get("presiding_authority", ""),
                presiding_user=presiding_user, charges=charges, note=form.get("note", ""),
            )  # fmt: skip
    except DomainError as exc:
        context = _new_case_context(
            request, form=form, errors=field_errors(exc), refused=problem_text(exc),
            picked=picked,
        )  # fmt: skip
        return fragment(render(request, NEW_CASE_PAGE, context, status=exc.status))
    messages.success(request, OPENED.format(docket=case.docket_number, person=charged.full_name))
    return redirect(case_url(case))


def _person_recorded(request: HttpRequest, form: dict[str, str], born: dt.date | None) -> Person:
    """The person charged, not on record yet (the duplicate check has been made)."""
    return person_create(
        actor=me(request), facility=facility_for(request, Perm.COURT_RECORD),
        given_name=form.get("new_given_name", ""), family_name=form.get("new_family_name", ""),
        date_of_birth=born, sex=form.get("new_sex") or Sex.UNKNOWN,
    )  # fmt: skip


@require_GET
@requires(Perm.COURT_RECORD)
def people(request: HttpRequest) -> HttpResponse:
    """The person search's results as radio buttons (htmx swaps them under the search box)."""
    facility = facility_for(request, Perm.COURT_RECORD)
    # The new-case form searches for the person, the case page for a party.
    name = "party" if "party_q" in request.GET else "person"
    text = request.GET.get(f"{name}_q", "")
    context = {
        "matches": people_matching(facility, text.strip()),
        "searched": bool(text.strip()),
        "field": name,
        "chosen": "",
    }
    return fragment(render(request, "court/_people.html", context))


# --- One case ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HearingRow:
    hearing: Hearing
    tone: str
    production: str


def _case_context(request: HttpRequest, case: Case, **state: Any) -> dict[str, Any]:
    facility = case.facility
    perms = me(request).perms_at(facility.pk)
    now = clock.now()
    charges = list(case.charges.select_related("booking_charge", "verdict_by"))
    parties = list(case.parties.select_related("person"))
    hearings = list(case.hearings.select_related("production", "booking", "concluded_by"))
    sentences = list(
        Sentence.objects.filter(case=case)
        .select_related(
            "charge", "consecutive_to__charge", "consecutive_to__case", "recorded_by"
        )
        .annotate(
            earned=Sum("credits__days", filter=Q(credits__kind=CreditKind.EARNED)),
            forfeited=Sum("credits__days", filter=Q(credits__kind=CreditKind.FORFEITED)),
        )
        .order_by("charge__count_number", "imposed_on", "id")
    )  # fmt: skip
    booking = open_booking_of(case.person)
    release = release_date_of(booking) if booking is not None else None
    lines = breakdown_by_sentence(release)
    # Remanded in the courtroom, or at court for another reason: the walk back is custody's.
    produced = {h.production_id for h in hearings if h.production_id is not None}
    at_court = (
        [
            movement
            for movement in Movement.objects.filter(
                booking=booking, destination=Destination.COURT, returned_at__isnull=True
            ).select_related("escort")
            if movement.pk not in produced
        ]
        if booking is not None
        else []
    )
    missed = {h.pk for h in selectors.missed_productions(facility, now)} if hearings else set()
    record = Perm.COURT_RECORD in perms
    pending = [charge for charge in charges if charge.verdict == Verdict.PENDING]
    party_q = (state.get("forms", {}).get("party") or {}).get("party_q", "") or request.GET.get(
        "party_q", ""
    )
    return {
        "case": case,
        "facility": facility,
        "tz": facility.timezone,
        "person": case.person,
        "tone": CASE_TONE.get(case.status, "muted"),
        "charges": [(c, VERDICT_TONE.get(c.verdict, "muted")) for c in charges],
        "pending": pending,
        "parties": parties,
        "hearings": [
            HearingRow(
                h,
                "bad" if h.pk in missed else HEARING_TONE.get(h.status, "muted"),
                production_state(h, missed),
            )
            for h in hearings
        ],
        "sentences": [
            (
                s,
                SENTENCE_TONE.get(s.status, "muted"),
                lines.get(str(s.public_id), []),
                term_text(s),
            )
            for s in sentences
        ],
        "booking": booking,
        "release": release,
        "at_court": at_court,
        "can_record": record,
        "can_verdict": record and bool(pending),
        "can_move": Perm.MOVEMENT_RECORD in perms,
        "kinds": HearingKind.choices,
        "conclude_choices": CONCLUDE_CHOICES,
        "severities": ChargeSeverity.choices,
        "roles": ProtectedRole.choices,
        "party_matches": people_matching(facility, party_q) if record and party_q else [],
        "party_searched": bool(party_q),
        "escorts": staff_at(facility, Perm.MOVEMENT_RECORD)
        if Perm.MOVEMENT_RECORD in perms
        else [],
        "self_url": case_url(case),
        "now": now,
        **form_state("", None, None, ""),
        **state,
    }


def _render_case(
    request: HttpRequest, case: Case, *, status: int = 200, **state: Any
) -> HttpResponse:
    context = _case_context(request, case, **state)
    return fragment(render(request, "court/case.html", context, status=status))


@require_GET
@requires(Perm.COURT_VIEW)
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """One case: counts and verdicts, parties, hearings, sentences and the release date."""
    case = selectors.case_get_for_user(me(request), case_id)
    require_perm_at(request, Perm.COURT_VIEW, case.facility_id)
    return _render_case(request, case)


def _recorded_case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    case = selectors.case_get_for_user(me(request), case_id)
    require_perm_at(request, Perm.COURT_RECORD, case.facility_id)
    return case


def _refused(
    request: HttpRequest, case: Case, action: str, form: dict[str, str], exc: DomainError
) -> HttpResponse:
    fresh = selectors.case_get_for_user(me(request), case.public_id)
    return _render_case(
        request, fresh, status=exc.status,
        **form_state(action, form, field_errors(exc), problem_text(exc)),
    )  # fmt: skip


@require_POST
@requires(Perm.COURT_RECORD)
def schedule(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Put a hearing of the case on the calendar."""
    case = _recorded_case(request, case_id)
    form = posted(request)
    problems = FormProblems()
    at = problems.moment(form, "scheduled_at", case.facility)
    minutes = problems.count(form, "expected_minutes")
    if at is None and "scheduled_at" not in problems.fields:
        problems.fields["scheduled_at"] = "is required."
    if problems or at is None:
        return _refused(request, case, "schedule", form, problems.error())
    try:
        hearing = hearing_schedule(
            actor=me(request), case=case, kind=form.get("kind", ""), scheduled_at=at,
            expected_minutes=minutes if minutes is not None else 60,
            courtroom=form.get("courtroom", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _refused(request, case, "schedule", form, exc)
    when = clock.local(hearing.scheduled_at, case.facility.timezone).strftime("%Y-%m-%d %H:%M")
    messages.success(request, SCHEDULED.format(kind=hearing.get_kind_display(), when=when))
    return redirect(case_url(case))


@require_POST
@requires(Perm.COURT_RECORD)
def conclude(request: HttpRequest, hearing_id: uuid.UUID) -> HttpResponse:
    """Record what became of a hearing: held, adjourned (to when) or cancelled."""
    hearing = selectors.hearing_get_for_user(me(request), hearing_id)
    case = _recorded_case(request, hearing.case.public_id)
    form = {**posted(request), "hearing": str(hearing.public_id)}
    problems = FormProblems()
    next_at = problems.moment(form, "next_at", case.facility)
    if problems:
        return _refused(request, case, "conclude", form, problems.error())
    try:
        done = hearing_conclude(
            actor=me(request), hearing=hearing, status=form.get("status", ""),
            outcome=form.get("outcome", ""), next_at=next_at,
        )  # fmt: skip
    except DomainError as exc:
        return _refused(request, case, "conclude", form, exc)
    messages.success(request, CONCLUDED.format(status=done.get_status_display().lower()))
    return redirect(case_url(case))


@require_POST
@requires(Perm.COURT_RECORD)
def charge_add(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Add a count to the case."""
    case = _recorded_case(request, case_id)
    form = posted(request)
    data = CaseChargeData(
        statute=form.get("statute", ""), description=form.get("description", ""),
        severity=form.get("severity", ""),
    )  # fmt: skip
    try:
        charge = case_charge_add(actor=me(request), case=case, data=data)
    except DomainError as exc:
        return _refused(request, case, "charge", form, exc)
    messages.success(
        request, CHARGE_ADDED.format(number=charge.count_number, statute=charge.statute)
    )
    return redirect(case_url(case))


@require_POST
@requires(Perm.COURT_RECORD)
def party_add(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Name a victim, a witness or a protected party (a verdict may protect them)."""
    case = _recorded_case(request, case_id)
    form = posted(request)
    if "find" in request.POST:
        return _render_case(request, case, **form_state("party", form, None, ""))
    person = person_on_record(case.facility, form.get("party", "")) if form.get("party") else None
    if person is None:
        problems = FormProblems()
        problems.fields["party"] = CHOOSE_PARTY
        return _refused(request, case, "party", form, problems.error())
    try:
        party = case_party_add(
            actor=me(request), case=case, person=person, role=form.get("role", "")
        )
    except DomainError as exc:
        return _refused(request, case, "party", form, exc)
    messages.success(
        request,
        PARTY_ADDED.format(person=person.full_name, role=party.get_role_display().lower()),
    )
    return redirect(case_url(case))


urlpatterns = [
    path("cases/", case_list, name="cases"),
    path("cases/new/", case_new, name="case_new"),
    path("people/", people, name="people"),
    path("cases/<uuid:case_id>/", case_detail, name="case"),
    path("cases/<uuid:case_id>/hearings/", schedule, name="hearing_schedule"),
    path("cases/<uuid:case_id>/charges/", charge_add, name="charge_add"),
    path("cases/<uuid:case_id>/parties/", party_add, name="party_add"),
    path("hearings/<uuid:hearing_id>/conclude/", conclude, name="hearing_conclude"),
]
