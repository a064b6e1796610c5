"""Forms of the bed board: they read what was typed, the services judge it."""

from __future__ import annotations

from typing import Any

from django import forms

from cellblock.booking.forms import ServiceErrorsMixin
from cellblock.facilities.models import FeatureStatus

# The move form's ``expect_from`` when the person had no bed when the verdict was shown.
NOT_HOUSED = "none"


def _text(label: str, *, max_length: int = 500, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


class _Form(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}
        self.service_field_names = {"to_bed": "bed", **type(self).service_field_names}

    def text(self, name: str) -> str:
        value = getattr(self, "cleaned_data", {}).get(name)
        return "" if value is None else str(value).strip()


class MoveForm(_Form):
    """Who goes to which bed, and why; the commander may add an override reason."""

    booking = forms.CharField(label="Person", required=False)
    bed = forms.CharField(label="Bed", required=False)
    reason = _text("Reason for the move", placeholder="e.g. cell damaged, keep-separate order")
    override_reason = _text("Override the rule book: why", placeholder="Required to override")
    # The bed the person was in when the verdict was shown (a public id or NOT_HOUSED).
    expect_from = forms.CharField(required=False)
    # The unit board to come back to.
    unit = forms.CharField(required=False)


class DecisionForm(_Form):
    decision = forms.CharField(required=False)
    note = _text("Note", placeholder="Needed to refuse")


class CellServiceForm(_Form):
    reason = _text("Why", placeholder="e.g. bars damaged")


FEATURE_STATUSES = FeatureStatus.choices


class FeatureForm(_Form):
    tag = forms.CharField(label="Feature", required=False, max_length=40)
    status = forms.ChoiceField(label="Status", choices=FEATURE_STATUSES, required=False)
    note = _text("Note", placeholder="e.g. bar dented during an interview")
