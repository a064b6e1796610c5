"""Forms of the incident pages: they read what was typed, the services judge it."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from cellblock.booking.forms import ServiceErrorsMixin


class _Form(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}

    def typed(self, name: str) -> str:
        value = getattr(self, "cleaned_data", {}).get(name)
        return "" if value is None else str(value).strip()

    def words(self, name: str) -> list[str]:
        """Booking numbers or usernames typed with spaces, commas or semicolons between them."""
        return [word for word in re.split(r"[\s,;]+", self.typed(name)) if word]


def _text(label: str, max_length: int = 200, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )  # fmt: skip


class IncidentForm(_Form):
    """What happened, when, where, to whom; the damage it did."""

    kind = forms.CharField(label="What happened", required=False)
    occurred_at = forms.CharField(label="When", required=False)
    cell = forms.CharField(label="Cell", required=False)
    zone = forms.CharField(label="Zone", required=False)
    place = _text("Place, in words", placeholder="e.g. the corridor by the showers")
    narrative = forms.CharField(
        label="Narrative", required=False, max_length=20_000, widget=forms.Textarea
    )
    people = _text("People in custody involved", max_length=1000)
    staff = _text("Staff involved", max_length=1000)
    damaged_feature = forms.CharField(label="Damaged feature of the cell", required=False)
    take_cell_out_of_service = forms.BooleanField(
        label="Take the cell out of service", required=False
    )


class ListFilterForm(_Form):
    status = forms.CharField(label="Status", required=False)
    kind = forms.CharField(label="Kind", required=False)
    since = forms.DateField(label="From", required=False)
    until = forms.DateField(label="To", required=False)


class NoteForm(_Form):
    text = forms.CharField(label="Follow-up note", required=False, max_length=5000)


class TransitionForm(_Form):
    to = forms.CharField(required=False)
    note = forms.CharField(label="Note (closing: the outcome)", required=False, max_length=5000)


class ReviewForm(_Form):
    note = forms.CharField(label="Review note", required=False, max_length=5000)
