"""Imports into a facility: what was loaded, by whom, and the report of every row."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cellblock.core.ids import public_id_field


class ImportKind(models.TextChoices):
    ROSTER = "roster", "Roster (CSV)"
    EXPORT = "export", "Facility export"


class ImportStatus(models.TextChoices):
    # Some row was bad and the good ones were not kept: nothing was written.
    REJECTED = "rejected", "Rejected"
    IMPORTED = "imported", "Imported"
    # Good rows imported, bad rows skipped (--keep-good).
    PARTIAL = "partial", "Partly imported"


class ImportRun(models.Model):
    """One import of a file into a facility, with its report.

    ``report`` is a list of ``{"line", "field", "message", "kind"}``: ``kind`` is
    ``error`` for a bad row, ``skipped`` for a row imported by an earlier run
    and ``note`` for something the importer did not carry over.
    """

    public_id = public_id_field()
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="import_runs"
    )
    kind = models.CharField(max_length=8, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    keep_good = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=ImportStatus.choices)
    rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    bad = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    started_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["facility", "-started_at"], name="exchange_run_facility_recent")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="exchange_importrun_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="exchange_importrun_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(finished_at__gte=F("started_at")),
                name="exchange_importrun_finished_after_started",
            ),
            # A rejected run wrote nothing.
            models.CheckConstraint(
                condition=~Q(status="rejected") | Q(imported=0),
                name="exchange_importrun_rejected_imports_nothing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import of {self.file_name}"
