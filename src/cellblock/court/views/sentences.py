"""Pages: one sentence, its credits and the worked release date; correct, vacate, credit.

A correction vacates the sentence and imposes the corrected one in one step;
a vacated sentence no longer counts.  Credits are days earned (work,
programmes, within the rule's cap) or good time forfeited (a sanction).  Every
change recomputes the person's release date, and the change is listed for
review.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.court.models import CreditKind, Sentence, SentenceStatus
from cellblock.court.selectors import sentence_get_for_user
from cellblock.court.services.release_dates import release_date_of
from cellblock.court.services.verdicts import (
    credit_record,
    sentence_correct,
    sentence_vacate,
)
from cellblock.court.views.common import (
    SENTENCE_TONE,
    FormProblems,
    breakdown_by_sentence,
    can,
    field_errors,
    form_state,
    fragment,
    me,
    open_booking_of,
    posted,
    problem_text,
    require_perm_at,
)
from cellblock.court.views.sentence_forms import (
    GOOD_TIME,
    RELATIONS,
    follow_options,
    person_sentences,
    read_sentence,
    sentence_fields,
    sentence_initial,
    term_text,
)

CORRECTED = "Sentence corrected: {term}."
VACATED = "Sentence vacated."
CREDITED = "{kind}: {days} day{s} recorded."
SENTENCE_PAGE = "court/sentence.html"


def sentence_url(sentence: Sentence) -> str:
    return reverse("court:sentence", args=[sentence.public_id])


def _context(request: HttpRequest, sentence: Sentence, **state: Any) -> dict[str, Any]:
    case = sentence.case
    facility = case.facility
    booking = open_booking_of(case.person)
    release = release_date_of(booking) if booking is not None else None
    credits = list(sentence.credits.select_related("rule", "recorded_by"))
    active = sentence.status == SentenceStatus.ACTIVE
    record = can(request, Perm.COURT_RECORD, facility.pk) and active
    form = state.get("forms", {}).get("correct") or sentence_initial(sentence)
    errors = state.get("errors", {}).get("correct") or {}
    return {
        "sentence": sentence,
        "case": case,
        "facility": facility,
        "tz": facility.timezone,
        "person": case.person,
        "tone": SENTENCE_TONE.get(sentence.status, "muted"),
        "term": term_text(sentence),
        "credits": credits,
        "booking": booking,
        "release": release,
        "lines": breakdown_by_sentence(release).get(str(sentence.public_id), []),
        "controls": release is not None and release.controlling_sentence_id == sentence.pk,
        "options": follow_options(person_sentences(case.person), [], exclude=sentence)
        if record
        else [],
        "relations": RELATIONS,
        "good_time": GOOD_TIME,
        "credit_kinds": CreditKind.choices,
        "correct_fields": sentence_fields("", form, errors, id="sc"),
        "correct_reason": form.get("reason", ""),
        "can_record": record,
        **form_state("", None, None, ""),
        **state,
    }


def _render(
    request: HttpRequest, sentence: Sentence, *, status: int = 200, **state: Any
) -> HttpResponse:
    return fragment(
        render(request, SENTENCE_PAGE, _context(request, sentence, **state), status=status)
    )


@require_GET
@requires(Perm.COURT_VIEW)
def sentence_detail(request: HttpRequest, sentence_id: uuid.UUID) -> HttpResponse:
    sentence = sentence_get_for_user(me(request), sentence_id)
    require_perm_at(request, Perm.COURT_VIEW, sentence.case.facility_id)
    return _render(request, sentence)


def _recorded(request: HttpRequest, sentence_id: uuid.UUID) -> Sentence:
    sentence = sentence_get_for_user(me(request), sentence_id)
    require_perm_at(request, Perm.COURT_RECORD, sentence.case.facility_id)
    return sentence


def _refused(
    request: HttpRequest, sentence: Sentence, action: str, form: dict[str, str], exc: DomainError
) -> HttpResponse:
    fresh = sentence_get_for_user(me(request), sentence.public_id)
    return _render(
        request, fresh, status=exc.status,
        **form_state(action, form, field_errors(exc), problem_text(exc)),
    )  # fmt: skip


@require_POST
@requires(Perm.COURT_RECORD)
def correct(request: HttpRequest, sentence_id: uuid.UUID) -> HttpResponse:
    """Replace the sentence with the corrected one (the old one is vacated)."""
    sentence = _recorded(request, sentence_id)
    form = posted(request)
    problems = FormProblems()
    options = follow_options(person_sentences(sentence.case.person), [], exclude=sentence)
    data = read_sentence(form, "", sentence.charge, options, problems)
    if problems or data is None:
        return _refused(request, sentence, "correct", form, problems.error())
    try:
        done = sentence_correct(
            actor=me(request), sentence=sentence, data=data, reason=form.get("reason", "")
        )
    except DomainError as exc:
        return _refused(request, sentence, "correct", form, exc)
    messages.success(request, CORRECTED.format(term=term_text(done)))
    return redirect(sentence_url(done))


@require_POST
@requires(Perm.COURT_RECORD)
def vacate(request: HttpRequest, sentence_id: uuid.UUID) -> HttpResponse:
    """Set the sentence aside, with the reason."""
    sentence = _recorded(request, sentence_id)
    form = posted(request)
    try:
        sentence_vacate(actor=me(request), sentence=sentence, reason=form.get("reason", ""))
    except DomainError as exc:
        return _refused(request, sentence, "vacate", form, exc)
    messages.success(request, VACATED)
    return redirect(sentence_url(sentence))


@require_POST
@requires(Perm.COURT_RECORD)
def credit(request: HttpRequest, sentence_id: uuid.UUID) -> HttpResponse:
    """Days earned, or good time forfeited, on the sentence."""
    sentence = _recorded(request, sentence_id)
    form = posted(request)
    problems = FormProblems()
    days = problems.count(form, "days")
    if problems:
        return _refused(request, sentence, "credit", form, problems.error())
    try:
        entry = credit_record(
            actor=me(request), sentence=sentence, kind=form.get("kind", ""), days=days or 0,
            reason=form.get("reason", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _refused(request, sentence, "credit", form, exc)
    messages.success(
        request,
        CREDITED.format(
            kind=entry.get_kind_display(), days=entry.days, s="" if entry.days == 1 else "s"
        ),
    )
    return redirect(sentence_url(sentence))


urlpatterns = [
    path("sentences/<uuid:sentence_id>/", sentence_detail, name="sentence"),
    path("sentences/<uuid:sentence_id>/correct/", correct, name="sentence_correct"),
    path("sentences/<uuid:sentence_id>/vacate/", vacate, name="sentence_vacate"),
    path("sentences/<uuid:sentence_id>/credits/", credit, name="credit_record"),
]
