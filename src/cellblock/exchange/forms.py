"""The roster upload form."""

from __future__ import annotations

from django import forms

# Far more than a jail's population: a bigger file is a mistake, not a roster.
MAX_ROSTER_BYTES = 50 * 1024 * 1024
KEEP_GOOD_LABEL = "Import the good rows and skip the bad ones"
FILE_TOO_LARGE = "The file is {size} bytes; a roster may be at most {limit} bytes."


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster file (CSV, UTF-8)",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    keep_good = forms.BooleanField(
        label=KEEP_GOOD_LABEL,
        required=False,
        help_text="Without this, one bad row stops the whole file and nothing is imported.",
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError(
                FILE_TOO_LARGE.format(size=upload.size, limit=MAX_ROSTER_BYTES)
            )
        return upload
