"""Pages: the verdict form, one set of fields per count still pending.

For each count: the verdict (or none yet) and, for a guilty one, the
sentence.  Below, the orders the verdict gives at once: remand (the person is
not held: the court record opens the booking and an officer escorts them to
the cells) and no contact with every party named in the case.  The service
checks everything; a refusal comes back with the form as typed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.court import selectors
from cellblock.court.models import Case, CaseCharge, Hearing, HearingStatus, Verdict
from cellblock.court.services.verdicts import (
    RemandData,
    SentenceData,
    VerdictData,
    verdict_record,
)
from cellblock.court.views.cases import case_url
from cellblock.court.views.common import (
    FormProblems,
    field_sentence,
    fragment,
    me,
    open_booking_of,
    posted,
    require_perm_at,
    staff_at,
    staff_named,
)
from cellblock.court.views.sentence_forms import (
    GOOD_TIME,
    RELATIONS,
    FollowOption,
    SentenceFields,
    follow_options,
    has_term,
    person_sentences,
    read_sentence,
    sentence_fields,
)

RECORDED = "Verdicts recorded on {docket}."
REMANDED = (
    "{person} remanded: booking {number} opened from the court record; in the courtroom "
    "until an officer records the walk to the cells."
)
SENTENCED = "{count} sentence{s} imposed."
ORDERS = "{count} no-contact order{s} made."
NOTHING_DECIDED = "give a verdict on at least one count."
CHOOSE_HEARING = "choose the hearing of this case, or none."
CHOOSE_ESCORT = "choose the officer who takes the person to the cells."
VERDICT_PAGE = "court/verdict.html"
VERDICT_CHOICES = [(value, label) for value, label in Verdict.choices if value != Verdict.PENDING]


def prefix_of(charge: CaseCharge) -> str:
    return f"count-{charge.count_number}-"


# The service names a field of the n-th verdict or sentence ("sentences[1].term"); the form
# names it after the count ("count-2-term").
_LISTED = re.compile(r"^(verdicts|sentences)\[(\d+)\]\.(.+)$")
_FORM_NAME = {"consecutive_to": "follows", "charge": "term"}
_SERVICE_LABEL = {
    "verdict": "verdict", "note": "note", "term": "term", "consecutive_to": "consecutive to",
    "relation": "runs", "imposed_on": "imposed on", "starts_on": "starts on",
    "time_served_days": "time served", "charge": "sentence",
}  # fmt: skip
_TOP_NAME = {"remand.escort": "escort", "remand.facility": "remand", "verdicts": "verdict"}


def service_errors(
    exc: DomainError, verdicts: list[VerdictData], sentences: list[SentenceData]
) -> tuple[dict[str, str], str]:
    """The service's field messages under the form's names, and one sentence per message."""
    fields: dict[str, list[str]] = exc.extra.get("fields", {}) if exc.extra else {}
    if not fields:
        return {}, exc.message
    named: dict[str, str] = {}
    lines: list[str] = []
    for name, texts in fields.items():
        text = " ".join(texts)
        found = _LISTED.match(name)
        listed = verdicts if found and found.group(1) == "verdicts" else sentences
        if found and int(found.group(2)) < len(listed):
            charge = listed[int(found.group(2))].charge
            field = found.group(3)
            if found.group(1) == "verdicts" and field == "charge":
                form_name = "verdict"
            else:
                form_name = _FORM_NAME.get(field, field)
            named[f"{prefix_of(charge)}{form_name}"] = text
            label = _SERVICE_LABEL.get(field, field.replace("_", " "))
            lines.append(f"Count {charge.count_number}, {label}: {text}")
        else:
            form_name = _TOP_NAME.get(name, name)
            named[form_name] = text
            lines.append(field_sentence(form_name, text))
    return named, " ".join(lines)


@dataclass(frozen=True)
class CountFields:
    """One pending count and its fields on the form: the verdict, a note, the sentence."""

    charge: CaseCharge
    prefix: str
    verdict: str
    note: str
    error: str
    sentence: SentenceFields

    @property
    def own(self) -> str:
        """The option naming this count: a sentence cannot follow itself."""
        return f"charge:{self.charge.public_id}"


def _counts(
    pending: list[CaseCharge], form: dict[str, str], errors: dict[str, str]
) -> list[CountFields]:
    rows = []
    for charge in pending:
        prefix = prefix_of(charge)
        rows.append(
            CountFields(
                charge=charge, prefix=prefix, verdict=form.get(f"{prefix}verdict", ""),
                note=form.get(f"{prefix}note", ""), error=errors.get(f"{prefix}verdict", ""),
                sentence=sentence_fields(prefix, form, errors, id=f"s{charge.count_number}"),
            )
        )  # fmt: skip
    return rows


def _context(
    request: HttpRequest,
    case: Case,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    refused: str = "",
) -> dict[str, Any]:
    form = form or {}
    errors = errors or {}
    pending = list(case.charges.filter(verdict=Verdict.PENDING).select_related("booking_charge"))
    booking = open_booking_of(case.person)
    parties = list(case.parties.select_related("person"))
    hearings = _hearings(case)
    return {
        "case": case,
        "facility": case.facility,
        "tz": case.facility.timezone,
        "person": case.person,
        "counts": _counts(pending, form, errors),
        "options": follow_options(person_sentences(case.person), pending),
        "verdicts": VERDICT_CHOICES,
        "relations": RELATIONS,
        "good_time": GOOD_TIME,
        "booking": booking,
        "parties": parties,
        "escorts": staff_at(case.facility, Perm.MOVEMENT_RECORD) if booking is None else [],
        "hearings": hearings,
        "hearing": form.get("hearing", _today_hearing(case, hearings)),
        "form": form,
        "errors": errors,
        "refused": refused,
        "can_record": True,
    }


def _hearings(case: Case) -> list[Hearing]:
    """The hearings a verdict may be given at: not cancelled, earliest first."""
    return list(case.hearings.exclude(status=HearingStatus.CANCELLED).order_by("scheduled_at"))


def _today_hearing(case: Case, hearings: list[Hearing]) -> str:
    """Today's hearing of the case, if any: the verdict is most likely given there."""
    today = clock.local(clock.now(), case.facility.timezone).date()
    on_today = [
        h for h in hearings if clock.local(h.scheduled_at, case.facility.timezone).date() == today
    ]
    return str(on_today[-1].public_id) if on_today else ""


def _hearing(form: dict[str, str], case: Case, problems: FormProblems) -> Hearing | None:
    wanted = form.get("hearing", "")
    if not wanted:
        return None
    found = next((h for h in _hearings(case) if str(h.public_id) == wanted), None)
    if found is None:
        problems.fields["hearing"] = CHOOSE_HEARING
    return found


def _remand(form: dict[str, str], case: Case, problems: FormProblems) -> RemandData | None:
    if form.get("remand") != "1":
        return None
    escort = None
    if form.get("escort"):
        escort = staff_named(staff_at(case.facility, Perm.MOVEMENT_RECORD), form["escort"])
        if escort is None:
            problems.fields["escort"] = CHOOSE_ESCORT
    return RemandData(facility=None, escort=escort)


def _read(
    form: dict[str, str], case: Case, problems: FormProblems
) -> tuple[list[VerdictData], list[SentenceData], list[FollowOption]]:
    pending = list(case.charges.filter(verdict=Verdict.PENDING))
    options = follow_options(person_sentences(case.person), pending)
    verdicts: list[VerdictData] = []
    sentences: list[SentenceData] = []
    for charge in pending:
        prefix = prefix_of(charge)
        verdict = form.get(f"{prefix}verdict", "")
        if verdict:
            verdicts.append(
                VerdictData(charge=charge, verdict=verdict, note=form.get(f"{prefix}note", ""))
            )
        if has_term(form, prefix):
            # The service says when a sentence comes without a guilty verdict.
            data = read_sentence(form, prefix, charge, options, problems)
            if data is not None:
                sentences.append(data)
    if not verdicts and not problems:
        problems.fields["verdict"] = NOTHING_DECIDED
    return verdicts, sentences, options


@require_http_methods(["GET", "POST"])
@requires(Perm.COURT_RECORD)
def verdict(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Record the verdicts, the sentences and the orders of one sitting of the court."""
    user = me(request)
    case = selectors.case_get_for_user(user, case_id)
    require_perm_at(request, Perm.COURT_RECORD, case.facility_id)
    if request.method == "GET":
        return fragment(render(request, VERDICT_PAGE, _context(request, case)))
    form = posted(request)
    problems = FormProblems()
    verdicts, sentences, _ = _read(form, case, problems)
    remand = _remand(form, case, problems)
    hearing = _hearing(form, case, problems)
    if problems:
        context = _context(
            request, case, form=form, errors=problems.fields, refused=problems.error().message
        )
        return fragment(render(request, VERDICT_PAGE, context, status=400))
    try:
        result = verdict_record(
            actor=user, case=case, verdicts=verdicts, sentences=sentences, remand=remand,
            no_contact=form.get("no_contact") == "1", hearing=hearing,
        )  # fmt: skip
    except DomainError as exc:
        named, summary = service_errors(exc, verdicts, sentences)
        context = _context(request, case, form=form, errors=named, refused=summary)
        return fragment(render(request, VERDICT_PAGE, context, status=exc.status))
    notes = [RECORDED.format(docket=case.docket_number)]
    if remand is not None and result.booking is not None:
        notes.append(
            REMANDED.format(person=case.person.full_name, number=result.booking.booking_number)
        )
    if result.sentences:
        count = len(result.sentences)
        notes.append(SENTENCED.format(count=count, s="" if count == 1 else "s"))
    if result.orders:
        count = len(result.orders)
        notes.append(ORDERS.format(count=count, s="" if count == 1 else "s"))
    messages.success(request, " ".join(notes))
    return redirect(case_url(case))


urlpatterns = [
    path("cases/<uuid:case_id>/verdict/", verdict, name="verdict"),
]
