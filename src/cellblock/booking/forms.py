"""Forms of the intake pages.

They only read what was typed (text, numbers, dates); the services judge it.
Choice fields therefore render a ``<select>`` but accept any text, so an
unknown value reaches the service and comes back with the service's own
message ("'capital' is not a severity; one of ...") instead of a second,
different rule written here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from cellblock.booking.models import (
    BookingSource,
    ChargeSeverity,
    LegalStatus,
    PropertyCondition,
    PropertyKind,
)
from cellblock.booking.services import BookingDetails, ChargeData, PropertyData
from cellblock.people.models import IdentifierKind, Sex

# At least two identifier rows: people usually carry a state id and one more.
IDENTIFIER_ROWS = 3
# The radio value that says "none of the matches: record a new person".
NEW_PERSON = "new"

IDENTIFIER_NEEDS_KIND = "choose what kind of document this number is."
IDENTIFIER_KIND_TWICE = "{kind} is given twice; keep one number per kind."
OTHER_NEEDS_DETAILS = "say how identity was established."
# Where a service's field name ("charges[0].severity") is shown on the new booking page.
CHARGE_PREFIX = "charges[0]."

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _select(choices: Iterable[tuple[str, str]], *, blank: str | None = None) -> forms.Select:
    options = [("", blank)] if blank is not None else []
    return forms.Select(choices=[*options, *choices])


def _text(label: str, *, max_length: int, required: bool = False, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs) if attrs else None,
    )


def _choice(
    label: str,
    choices: Iterable[tuple[str, str]],
    *,
    blank: str | None = None,
    initial: str | None = None,
) -> forms.CharField:
    """A select whose value the service validates (see the module docstring)."""
    return forms.CharField(
        label=label, required=False, initial=initial, widget=_select(choices, blank=blank)
    )


def _count(label: str, *, initial: int | None = None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, initial=initial,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip


def _or_default(value: int | None, default: int) -> int:
    """An empty number field means the default; zero is typed, and the service judges it."""
    return default if value is None else value


@dataclass(frozen=True)
class SummaryItem:
    """One line of the error summary at the top of a form: links to its field."""

    label: str
    message: str
    anchor: str


class ServiceErrorsMixin:
    """Put a service's ``ValidationFailed`` messages next to the fields they name."""

    # Service field name -> form field name, where they differ.
    service_field_names: dict[str, str] = {}
    # Errors about a group of inputs (the identifier rows), keyed by the group.
    group_errors: dict[str, list[str]]

    def add_service_errors(self, fields: dict[str, list[str]]) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        for name, problems in fields.items():
            target = self.service_field_names.get(name, name)
            if target in form.fields:
                form.add_error(target, problems)
            elif target in getattr(self, "groups", ()):
                self.group_errors.setdefault(target, []).extend(problems)
            else:
                form.add_error(None, [f"{name}: {problem}" for problem in problems])

    def summary(self) -> list[SummaryItem]:
        form: forms.Form = self  # type: ignore[assignment]
        items = [SummaryItem("", str(message), "") for message in form.non_field_errors()]
        for group, problems in getattr(self, "group_errors", {}).items():
            items += [SummaryItem(group.title(), p, f"{group}-group") for p in problems]
        for name, problems in form.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            bound = form[name]
            items += [SummaryItem(str(bound.label), str(p), bound.auto_id) for p in problems]
        return items


class DescriptionFields(forms.Form):
    """Physical description and emergency contact: taken at intake, corrected later."""

    height_cm = _count("Height (cm)")
    weight_kg = _count("Weight (kg)")
    build = _text("Build", max_length=40)
    eye_colour = _text("Eye colour", max_length=40)
    hair_colour = _text("Hair colour", max_length=40)
    distinguishing_marks = forms.CharField(
        label="Distinguishing marks", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    emergency_contact_name = _text("Name", max_length=200)
    emergency_contact_relationship = _text("Relationship", max_length=100)
    emergency_contact_phone = _text("Phone", max_length=40, type="tel", autocomplete="off")


class NewBookingForm(ServiceErrorsMixin, DescriptionFields):
    """The person, the booking and an optional first charge, on one page."""

    groups = ("identifiers",)
    service_field_names = {
        f"{CHARGE_PREFIX}{name}": f"charge_{name}"
        for name in ("statute", "description", "severity", "counts", "case_number")
    } | {f"{CHARGE_PREFIX}charge_class": "charge_class"}

    # --- Person ---
    given_name = _text("Given name", max_length=100, autofocus=True, autocomplete="off")
    family_name = _text("Family name", max_length=100, autocomplete="off")
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sex = _choice("Sex", Sex.choices, initial=Sex.UNKNOWN)
    # The duplicate check's answer: a person's public id, or NEW_PERSON.  Its
    # radios are drawn by the matches panel, not by the field.
    match = forms.CharField(label="Person", required=False)

    # --- Booking ---
    source = _choice("Source", BookingSource.choices, blank="Choose…")
    legal_status = _choice("Legal status", LegalStatus.choices, initial=LegalStatus.PRETRIAL)
    booked_at = forms.DateTimeField(
        label="Booked at",
        required=False,
        help_text="Local time at the facility; empty means now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    committing_authority = _text("Committing authority", max_length=200)
    authority_reference = _text("Authority reference", max_length=100)

    # --- First charge (optional) ---
    charge_statute = _text("Statute", max_length=60)
    charge_description = _text("Description", max_length=300)
    charge_severity = _choice("Severity", ChargeSeverity.choices, blank="Choose…")
    charge_class = _text("Class", max_length=20)
    charge_counts = _count("Counts", initial=1)
    charge_case_number = _text("Case number", max_length=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}
        for n in range(IDENTIFIER_ROWS):
            self.fields[f"identifier_kind_{n}"] = _choice(
                f"Identifier {n + 1}: kind", IdentifierKind.choices, blank="Kind…"
            )
            self.fields[f"identifier_value_{n}"] = _text(
                f"Identifier {n + 1}: number", max_length=64, autocomplete="off"
            )

    def identifier_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"identifier_kind_{n}"], self[f"identifier_value_{n}"])
            for n in range(IDENTIFIER_ROWS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        seen: set[str] = set()
        for n in range(IDENTIFIER_ROWS):
            kind = data.get(f"identifier_kind_{n}", "")
            value = data.get(f"identifier_value_{n}", "").strip()
            if value and not kind:
                self.add_error(f"identifier_kind_{n}", IDENTIFIER_NEEDS_KIND)
            elif value and kind in seen:
                label = dict(IdentifierKind.choices).get(kind, kind)
                self.add_error(f"identifier_kind_{n}", IDENTIFIER_KIND_TWICE.format(kind=label))
            seen.add(kind)
        return data

    # What the services take.  Each reads ``cleaned_data`` only, so they also
    # work on a form that is not (yet) valid: the duplicate check as one types.

    def _get(self, name: str, default: Any = "") -> Any:
        value = getattr(self, "cleaned_data", {}).get(name)
        return default if value is None else value

    def identifiers(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for n in range(IDENTIFIER_ROWS):
            kind, value = self._get(f"identifier_kind_{n}"), self._get(f"identifier_value_{n}")
            if kind and value.strip():
                found.setdefault(kind, value.strip())
        return found

    def person_query(self) -> dict[str, Any]:
        """Arguments for ``people.selectors.person_matches``."""
        return {
            "given_name": self._get("given_name"),
            "family_name": self._get("family_name"),
            "date_of_birth": self._get("date_of_birth", None),
            "identifiers": self.identifiers(),
        }

    def has_person_data(self) -> bool:
        query = self.person_query()
        return bool(query["given_name"] or query["family_name"] or query["identifiers"])

    def person_data(self) -> dict[str, Any]:
        """Arguments for ``people.services.person_create``."""
        return {**self.person_query(), "sex": self._get("sex") or Sex.UNKNOWN}

    def details(self) -> BookingDetails:
        return BookingDetails(
            **{name: self._get(name, None if name in ("height_cm", "weight_kg") else "")
               for name in BookingDetails.__dataclass_fields__}
        )  # fmt: skip

    def charges(self) -> list[ChargeData]:
        """The first charge, if any of its text was typed (counts alone is the default)."""
        typed = [
            self._get(f"charge_{name}")
            for name in ("statute", "description", "severity", "case_number")
        ] + [self._get("charge_class")]
        if not any(typed):
            return []
        return [
            ChargeData(
                statute=self._get("charge_statute"),
                description=self._get("charge_description"),
                severity=self._get("charge_severity"),
                charge_class=self._get("charge_class"),
                counts=self._get("charge_counts", 1),
                case_number=self._get("charge_case_number"),
            )
        ]

    def booking_arguments(self) -> dict[str, Any]:
        """Arguments for ``booking_open`` beside actor, facility and person."""
        booked_at: dt.datetime | None = self._get("booked_at", None)
        return {
            "source": self._get("source"),
            "legal_status": self._get("legal_status") or LegalStatus.PRETRIAL,
            "booked_at": booked_at,
            "details": self.details(),
            "charges": self.charges(),
        }


class ChargeForm(ServiceErrorsMixin, forms.Form):
    """One charge, added on the charges page."""

    statute = _text("Statute", max_length=60, autofocus=True, autocomplete="off")
    description = _text("Description", max_length=300)
    severity = _choice("Severity", ChargeSeverity.choices, blank="Choose…")
    charge_class = _text("Class", max_length=20)
    counts = _count("Counts", initial=1)
    case_number = _text("Case number", max_length=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}

    def charge_data(self) -> ChargeData:
        data = self.cleaned_data
        return ChargeData(
            statute=data["statute"], description=data["description"], severity=data["severity"],
            charge_class=data["charge_class"], counts=_or_default(data["counts"], 1),
            case_number=data["case_number"],
        )  # fmt: skip


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=1000, required=False)


class PropertyForm(ServiceErrorsMixin, forms.Form):
    """An item taken from the person or issued to them."""

    kind = _choice("Kind", PropertyKind.choices, initial=PropertyKind.TAKEN)
    description = _text("Description", max_length=300, autofocus=True, autocomplete="off")
    quantity = _count("Quantity", initial=1)
    condition = _choice("Condition", PropertyCondition.choices, initial=PropertyCondition.GOOD)
    bag_number = _text("Bag number", max_length=40, autocomplete="off")
    cash_amount = _text(
        "Cash amount", max_length=20, inputmode="decimal", placeholder="0.00", autocomplete="off"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}

    def property_data(self) -> PropertyData:
        data = self.cleaned_data
        return PropertyData(
            kind=data["kind"], description=data["description"],
            quantity=_or_default(data["quantity"], 1), condition=data["condition"],
            bag_number=data["bag_number"],
            cash_amount=data["cash_amount"].strip() or None,
        )  # fmt: skip


class PropertyEditForm(ServiceErrorsMixin, forms.Form):
    """A correction to an item; the reason goes to the audit trail."""

    description = _text("Description", max_length=300)
    quantity = _count("Quantity")
    condition = _choice("Condition", PropertyCondition.choices)
    bag_number = _text("Bag number", max_length=40)
    cash_amount = _text("Cash amount", max_length=20, inputmode="decimal")
    reason = _text("Reason for the change", max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "description": data["description"], "quantity": _or_default(data["quantity"], 1),
            "condition": data["condition"], "bag_number": data["bag_number"],
            "cash_amount": data["cash_amount"].strip() or None,
        }  # fmt: skip


IDENTITY_METHODS: Sequence[tuple[str, str]] = (
    ("document", "Identity document"),
    ("fingerprints", "Fingerprints"),
    ("known", "Known to staff"),
    ("other", "Other"),
)


class IdentityForm(ServiceErrorsMixin, forms.Form):
    method = forms.ChoiceField(
        label="How was identity established?",
        choices=[("", "Choose…"), *IDENTITY_METHODS],
        required=False,
        widget=forms.Select(attrs={"autofocus": True}),
    )
    details = _text(
        "Details", max_length=400, placeholder="Document and number, who knows them …",
        autocomplete="off",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("method") == "other" and not data.get("details", "").strip():
            self.add_error("details", OTHER_NEEDS_DETAILS)
        return data

    def method_text(self) -> str:
        """What the checklist records: "Identity document: passport X123"."""
        method = self.cleaned_data.get("method", "")
        label = dict(IDENTITY_METHODS).get(method, "")
        details = self.cleaned_data.get("details", "").strip()
        return ": ".join(part for part in (label, details) if part)


class DetailsForm(ServiceErrorsMixin, DescriptionFields):
    """The parts of a booking intake may correct: authority, description, contact."""

    committing_authority = _text("Committing authority", max_length=200, autofocus=True)
    authority_reference = _text("Authority reference", max_length=100)
    legal_status = _choice("Legal status", LegalStatus.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}

    def changes(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
