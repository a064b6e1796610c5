"""Forms of the classification pages.

As on the intake pages (booking/forms.py), they only read what was typed;
the services judge it.  Choices render as radios or a ``<select>`` but any
text is accepted, so an unknown value comes back with the service's own
message, shown next to its field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms

from cellblock.booking.forms import (
    DATETIME_LOCAL,
    ServiceErrorsMixin,
)
from cellblock.booking.models import CustodyLevel
from cellblock.classification import instrument as scoring
from cellblock.classification import prea
from cellblock.classification.models import (
    AssessmentReason,
    ConflictKind,
    ContactScope,
    FlagKind,
    PreaKind,
    ProtectedRole,
    ProtectiveSource,
    SeparationScope,
)

# The radio value that says "none of the people found: record a new person".
NEW_PERSON = "new"
YES, NO = "yes", "no"
# Flags set by PREA screening are never offered by hand.
HAND_SET_KINDS = [
    (value, label)
    for value, label in FlagKind.choices
    if value not in (FlagKind.PREA_VICTIM, FlagKind.PREA_ABUSER)
]
LEVEL_LABELS = dict(CustodyLevel.choices)
LEVEL_CHOICES = [(level, LEVEL_LABELS.get(level, level)) for level in scoring.LEVELS]


def _select(
    label: str,
    choices: Iterable[tuple[str, str]],
    *,
    blank: str | None = None,
    help_text: str = "",
    **attrs: Any,
) -> forms.CharField:
    options = [("", blank)] if blank is not None else []
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Select(choices=[*options, *choices], attrs=attrs or None),
    )


def _text(label: str, *, max_length: int, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


def _area(label: str, *, max_length: int, rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _moment(label: str, help_text: str = "") -> forms.DateTimeField:
    """A local date and time at the facility (the view sets the zone)."""
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class _Form(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}
        self.service_field_names = dict(type(self).service_field_names)

    def text(self, name: str) -> str:
        value = getattr(self, "cleaned_data", {}).get(name)
        return "" if value is None else str(value).strip()

    def moment(self, name: str) -> dt.datetime | None:
        value = getattr(self, "cleaned_data", {}).get(name)
        return value if isinstance(value, dt.datetime) else None


# --- Assessment -----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerChoice:
    answer: scoring.Answer
    checked: bool
    # This answer puts the person under special management whatever the total.
    special: bool


@dataclass(frozen=True)
class ItemRow:
    """One item of the instrument as the form draws it: a radio group with points."""

    item: scoring.Item
    field: forms.BoundField
    choices: list[AnswerChoice]


def item_field(item_code: str) -> str:
    return f"item_{item_code}"


class AssessmentForm(_Form):
    """One radio group per item of the instrument, then an optional override."""

    reason = _select(
        "Why now", AssessmentReason.choices, blank="Automatic",
        help_text="Automatic: initial, after an event, else the scheduled review.",
    )  # fmt: skip
    override_level = _select("Override to", LEVEL_CHOICES, blank="No override")
    override_reason = _area("Override reason", max_length=500)
    notes = _area("Notes", max_length=1000)

    def __init__(self, *args: Any, instrument: scoring.Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            name = item_field(item.code)
            self.fields[name] = forms.CharField(
                label=item.label,
                required=False,
                widget=forms.RadioSelect(choices=[(a.code, a.label) for a in item.answers]),
            )
            self.service_field_names[f"answers.{item.code}"] = name

    def answers(self) -> dict[str, str]:
        """Item code -> answer code, for the items answered."""
        found = {}
        for item in self.instrument.items:
            value = self.text(item_field(item.code))
            if value:
                found[item.code] = value
        return found

    def item_rows(self) -> list[ItemRow]:
        rows = []
        for item in self.instrument.items:
            bound = self[item_field(item.code)]
            chosen = str(bound.value() or "")
            special = self.instrument.special_management
            choices = [
                AnswerChoice(a, a.code == chosen, (item.code, a.code) in special)
                for a in item.answers
            ]
            rows.append(ItemRow(item, bound, choices))
        return rows


# --- PREA screening ----------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    code: str
    field: forms.BoundField

    @property
    def answer(self) -> str:
        return str(self.field.value() or "")


def criterion_field(code: str) -> str:
    return f"c_{code}"


class PreaForm(_Form):
    """Yes or no for every criterion of 28 CFR 115.41(d) and (e)."""

    kind = _select(
        "Screening",
        PreaKind.choices,
        blank="Automatic",
        help_text="Automatic: the initial screening, then the 30-day reassessment.",
    )
    notes = _area("Notes", max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in [*prea.VICTIM_CRITERIA.items(), *prea.ABUSER_CRITERIA.items()]:
            name = criterion_field(code)
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                widget=forms.RadioSelect(choices=[(YES, "Yes"), (NO, "No")]),
            )
            self.service_field_names[f"answers.{code}"] = name

    def answers(self) -> dict[str, object]:
        """Criterion -> true or false; anything else goes as typed, for the service to refuse."""
        found: dict[str, object] = {}
        for code in [*prea.VICTIM_CRITERIA, *prea.ABUSER_CRITERIA]:
            value = self.text(criterion_field(code))
            if value:
                found[code] = {YES: True, NO: False}.get(value, value)
        return found

    def victim_rows(self) -> list[CriterionRow]:
        return [CriterionRow(c, self[criterion_field(c)]) for c in prea.VICTIM_CRITERIA]

    def abuser_rows(self) -> list[CriterionRow]:
        return [CriterionRow(c, self[criterion_field(c)]) for c in prea.ABUSER_CRITERIA]


# --- Flags ----------------------------------------------------------------------------


class FlagForm(_Form):
    kind = _select("Flag", HAND_SET_KINDS, blank="Choose…", **{"data-flag-kind": ""})
    detail = _text("Detail", max_length=100, **{"data-flag-detail": ""})
    reason = _text("Reason", max_length=500)
    until = _moment("Until", "Local time at the facility; empty means until lifted.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The detail suggests what the chosen kind takes (one datalist per kind).
        self.fields["detail"].widget.attrs["list"] = f"flag-detail-{self.chosen_kind}"

    @property
    def chosen_kind(self) -> str:
        return str(self["kind"].value() or "")


class ReasonForm(_Form):
    reason = _text("Reason", max_length=500)


# --- Orders ---------------------------------------------------------------------------


class SeparationForm(_Form):
    """Keep this person apart from another person held here, or from a group."""

    service_field_names = {"other_person": "other_booking"}

    other_booking = forms.CharField(label="Other person", required=False)
    group = _select("Or a group", [], blank="No group")
    scope = _select("Scope", SeparationScope.choices, blank="Choose…")
    reason = _text("Reason", max_length=500)
    starts_at = _moment("Starts", "Empty means now.")
    expires_at = _moment("Expires", "Empty means until ended.")
    authorised_by = _select("Authorised by", [], blank="Me")

    def __init__(
        self,
        *args: Any,
        groups: Iterable[tuple[str, str]] = (),
        staff: Iterable[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].widget.choices = [("", "No group"), *groups]
        self.fields["authorised_by"].widget.choices = [("", "Me"), *staff]


class ProtectiveForm(_Form):
    """No contact with a person outside: found on record, or recorded now."""

    service_field_names = {
        "given_name": "protected_given_name",
        "family_name": "protected_family_name",
        "date_of_birth": "protected_date_of_birth",
        "protected_person": "protected_match",
    }

    protected_given_name = _text("Given name", max_length=100)
    protected_family_name = _text("Family name", max_length=100)
    protected_date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # A person's public id from the matches, or NEW_PERSON.
    protected_match = forms.CharField(label="Protected person", required=False)
    protected_role = _select("Role", ProtectedRole.choices, blank="Choose…")
    source = _select("Source", ProtectiveSource.choices, blank="Choose…")
    scope = _select("No contact by", ContactScope.choices, blank="Choose…")
    issued_by = _text("Issued by", max_length=200, placeholder="Court or official")
    reference = _text("Reference", max_length=100, placeholder="Docket or order number")
    reason = _text("Reason", max_length=500)
    starts_at = _moment("Starts", "Empty means now.")
    expires_at = _moment("Expires", "Empty means until ended.")

    def person_query(self) -> dict[str, Any]:
        """Arguments for ``people.selectors.person_matches`` (and ``person_create``)."""
        born = getattr(self, "cleaned_data", {}).get("protected_date_of_birth")
        return {
            "given_name": self.text("protected_given_name"),
            "family_name": self.text("protected_family_name"),
            "date_of_birth": born if isinstance(born, dt.date) else None,
        }

    def has_person_data(self) -> bool:
        query = self.person_query()
        return bool(query["given_name"] or query["family_name"])


class ConflictForm(_Form):
    staff = _select("Member of staff", [], blank="Choose…")
    kind = _select("Conflict", ConflictKind.choices, blank="Choose…")
    reason = _text("Reason", max_length=500)
    starts_at = _moment("Starts", "Empty means now.")
    expires_at = _moment("Expires", "Empty means until ended.")

    def __init__(self, *args: Any, staff: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].widget.choices = [("", "Choose…"), *staff]


class DecisionForm(_Form):
    decision = forms.CharField(required=False)
    note = _text("Note", max_length=500)
