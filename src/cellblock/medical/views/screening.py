"""Page: the receiving screening at intake, before a bed.

The form is built from ``medical.screening.QUESTIONS`` (the service checks the
same list), grouped as a medic asks them: clearance first, then health now,
mental health, needs.  Yes/no questions have no answer chosen until the medic
chooses one, so nothing is cleared by default.  A refused answer comes back
beside its question; a recorded screening goes back to the person's profile,
at the intake checklist it completes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.medical import screening as questions
from cellblock.medical.models import ScreeningOutcome
from cellblock.medical.services.screening import screening_record
from cellblock.medical.views.common import (
    field_errors,
    me,
    posted,
    private,
    problem_text,
    require_perm_at,
    safe_next,
)

PAGE = "medical/screening.html"
RECORDED_CLEARED = "Receiving screening recorded: {person} is cleared for housing."
RECORDED_REFERRED = "Receiving screening recorded: {person} is referred to hospital, not admitted."
YES, NO = "yes", "no"

# The questions as a medic asks them; a question not named here goes in the last group.
GROUPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("clearance", "Clearance",
     "A “no” to the first question or a “yes” to any other sends the person to hospital, "
     "not to a cell.", questions.CLEARANCE_KEYS),
    ("health", "Health now", "", ("current_illness", "injuries", "medications", "withdrawal_risk")),
    ("mental", "Mental health and suicide risk",
     "A moderate or high risk needs an observation level: it sets a suicide watch that "
     "officers see on their rounds.", ("mental_health", "suicide_risk", "suicide_observation")),
    ("needs", "Pregnancy, disability and needs",
     "Needs become care alerts: officers see the instruction, never the reason.",
     ("pregnant", "disability_needs", "needs_lower_bunk", "needs_wheelchair_cell",
      "needs_monitoring")),
)  # fmt: skip
CHOICE_LABELS = {"": "Not needed", "not_applicable": "Not applicable"}


@dataclass(frozen=True)
class Row:
    """One question as the form shows it: what was answered and what is wrong with it."""

    question: questions.Question
    value: str
    error: str

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [
            (value, CHOICE_LABELS.get(value, value.replace("_", " ").capitalize()))
            for value in self.question.choices
        ]


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    help: str
    rows: list[Row]


def _groups(form: dict[str, str], errors: dict[str, str]) -> list[Group]:
    named = {key for *_, keys in GROUPS for key in keys}
    rest = tuple(q.key for q in questions.QUESTIONS if q.key not in named)
    groups = []
    for key, title, help_text, keys in GROUPS:
        if key == GROUPS[-1][0]:
            keys = (*keys, *rest)
        rows = [Row(questions.QUESTION_BY_KEY[k], form.get(k, ""), errors.get(k, "")) for k in keys]
        groups.append(Group(key, title, help_text, rows))
    return groups


def answers_from(form: dict[str, str]) -> dict[str, object]:
    """The answers as the service takes them; a question left unanswered is left out."""
    answers: dict[str, object] = {}
    for question in questions.QUESTIONS:
        value = form.get(question.key, "")
        if question.type == questions.BOOL:
            if value in (YES, NO):
                answers[question.key] = value == YES
        elif question.type == questions.TEXT:
            answers[question.key] = value
        elif value or "" in question.choices:
            # A blank choice is an answer only where blank is one of the choices.
            answers[question.key] = value
    return answers


def _label(name: str) -> str:
    question = questions.QUESTION_BY_KEY.get(name)
    return question.label if question else name.replace("_", " ").capitalize()


def _context(
    booking: Booking, form: dict[str, str], errors: dict[str, str], refused: str = ""
) -> dict[str, Any]:
    return {
        "booking": booking,
        "person": booking.person,
        "facility": booking.facility,
        "tz": booking.facility.timezone,
        "groups": _groups(form, errors),
        "form": form,
        "errors": errors,
        "summary": [(name, _label(name), text) for name, text in errors.items()],
        "refused": refused,
        "next": form.get("next", ""),
    }


@require_http_methods(["GET", "POST"])
@requires(Perm.CLINICAL_RECORD)
def screening(request: HttpRequest, booking_number: str) -> HttpResponse:
    """Ask the receiving screening questions and record the answers."""
    user = me(request)
    booking = booking_get_for_user(user, booking_number)
    require_perm_at(request, Perm.CLINICAL_RECORD, booking.facility_id)
    if request.method != "POST":
        form = {"next": request.GET.get("next", "")}
        return private(render(request, PAGE, _context(booking, form, {})))
    form = posted(request)
    try:
        recorded = screening_record(
            actor=user, booking=booking, answers=answers_from(form),
            referral=form.get("referral", ""), notes=form.get("notes", ""),
        )  # fmt: skip
    except questions.ScreeningError as exc:
        errors = {name: " ".join(texts) for name, texts in exc.fields.items()}
        return private(render(request, PAGE, _context(booking, form, errors), status=400))
    except DomainError as exc:
        # The service names an answer "answers.<question>" (as the API sends them).
        errors = {name.removeprefix("answers."): text for name, text in field_errors(exc).items()}
        refused = "" if errors else problem_text(exc)
        context = _context(booking, form, errors, refused=refused)
        return private(render(request, PAGE, context, status=exc.status))
    note = RECORDED_CLEARED if recorded.outcome == ScreeningOutcome.CLEARED else RECORDED_REFERRED
    messages.success(request, note.format(person=booking.person.full_name))
    profile = reverse("booking:profile", args=[booking.booking_number]) + "#section-checklist"
    return redirect(safe_next(request, profile))


urlpatterns = [
    path("screening/<str:booking_number>/", screening, name="screening"),
]
