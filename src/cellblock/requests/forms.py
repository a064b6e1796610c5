"""Forms of the request pages: they read what was typed, the services judge it."""

from __future__ import annotations

from typing import Any

from django import forms

from cellblock.booking.forms import ServiceErrorsMixin

# The addressee select's values: "role:commander" or "staff:tsunade".
ROLE_PREFIX = "role:"
STAFF_PREFIX = "staff:"
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


class _Form(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}

    def typed(self, name: str) -> str:
        value = getattr(self, "cleaned_data", {}).get(name)
        return "" if value is None else str(value).strip()


def _long(label: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=10_000, widget=forms.Textarea)


def split_addressee(value: str) -> tuple[str, str]:
    """("commander", "") for "role:commander", ("", "tsunade") for "staff:tsunade"."""
    if value.startswith(ROLE_PREFIX):
        return value.removeprefix(ROLE_PREFIX), ""
    if value.startswith(STAFF_PREFIX):
        return "", value.removeprefix(STAFF_PREFIX)
    return "", ""


class InboxFilterForm(_Form):
    scope = forms.CharField(required=False)
    status = forms.CharField(label="Status", required=False)
    kind = forms.CharField(label="Kind", required=False)
    overdue = forms.BooleanField(label="Overdue only", required=False)


class RequestForm(_Form):
    """Who asks, what, of whom."""

    # The service names both addressee fields; the page has one select for them.
    service_field_names = {"addressee_role": "addressee", "booking": "booking"}

    booking = forms.CharField(label="Person in custody", required=False, max_length=32)
    kind = forms.CharField(label="Kind", required=False)
    category = forms.CharField(label="Category", required=False)
    subject = forms.CharField(label="Subject", required=False, max_length=200)
    text = _long("What the person asks")
    addressee = forms.CharField(label="Addressed to", required=False, max_length=160)


class KioskIdentifyForm(_Form):
    booking_number = forms.CharField(label="Booking number", required=False, max_length=32)
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, input_formats=DATE_FORMATS
    )


class KioskRequestForm(KioskIdentifyForm):
    service_field_names = {"addressee_role": "addressee_role"}

    kind = forms.CharField(label="Kind", required=False)
    addressee_role = forms.CharField(label="Who should answer", required=False)
    subject = forms.CharField(label="Subject", required=False, max_length=200)
    text = _long("Your request")


class RouteForm(_Form):
    service_field_names = {"addressee_role": "addressee"}

    addressee = forms.CharField(label="Send to", required=False, max_length=160)
    note = _long("Note")


class TextForm(_Form):
    text = _long("Text")


class NoteForm(_Form):
    note = _long("Note")


class ReasonForm(_Form):
    reason = _long("Reason")
