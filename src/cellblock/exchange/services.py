"""Writes of the exchange: a roster import, a facility export and loading one.

A roster import runs every row through the same services the intake pages use
(person_create, booking_open, booking_transition, bed_assign,
intake_step_complete), each row in its own savepoint inside one transaction.
A row the services refuse is rolled back to its savepoint and reported with
the services' own words; the rows after it still see every good row before
them (a bed taken by line 4 is taken for line 9).  At the end the whole
transaction commits (every row good, or ``keep_good``) or rolls back, so a
rejected file leaves nothing behind but its report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking, BookingStatus
from cellblock.booking.services import booking_open, booking_transition, intake_step_complete
from cellblock.core import clock
from cellblock.core.errors import DomainError, PermissionDenied, ValidationFailed
from cellblock.core.progress import TrackerFactory, silent
from cellblock.core.roles import Perm
from cellblock.exchange import export as export_format
from cellblock.exchange.models import ImportKind, ImportRun, ImportStatus
from cellblock.exchange.roster_csv import IDENTIFIER_COLUMNS, Problem, RosterRow, parse_roster
from cellblock.facilities.models import Facility
from cellblock.housing.services import bed_assign
from cellblock.people.models import IdentifierKind, Person
from cellblock.people.names import identifier_key
from cellblock.people.selectors import MATCH_IDENTIFIER, person_matches
from cellblock.people.services import person_create, person_identifier_add

IMPORT_DENIED = "Importing records into {facility} needs the records.import permission."
EXPORT_DENIED = "Exporting the records of {facility} needs the records.export permission."

PROGRESS_APPLIED = "rows checked and written"
ALREADY_IMPORTED = "already imported as booking {number}; skipped."
PERSON_REUSED = "booked as {person} ({born}), already on record: {reasons}."
IDENTIFIER_ADDED = "{person} was on record without this {kind}; it was added."
TWO_PEOPLE = "the identifiers belong to different people on record: {people}."
SAME_NAME_AND_BIRTH = (
    "{count} people on record have this name and date of birth; give an identifier "
    "so the import knows which one this is."
)
DATABASE_REFUSED = "the database refused the row: {error}"
IMPORT_REASON = "roster import"
STEP_NOTE = "done in the previous system (roster import)"

# Where a refusal without field names belongs, by the step that refused.
_STAGE_FIELDS = {"person": "person", "booking": "external_id", "status": "status", "bed": "bed"}
# ... unless the refusal's code says better.
_CODE_FIELDS = {"already_booked": "person", "identifier_taken": "person"}
_IDENTIFIER_REASONS = {
    MATCH_IDENTIFIER.format(kind=IdentifierKind(kind).label) for kind in IdentifierKind.values
}
# Name and date of birth alone score 80 in person_matches; less is a weaker likeness.
MATCH_SCORE = 80


def _require(actor: User | None, perm: Perm, facility: Facility, message: str) -> None:
    # actor None is the system: a management command run without --as.
    if actor is not None and perm not in actor.perms_at(facility.pk):
        raise PermissionDenied(message.format(facility=facility.name), code="missing_role")


class _RollBack(Exception):
    """Leave the import's transaction without committing it."""


@dataclass
class _Tally:
    problems: list[Problem] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)
    imported: int = 0
    skipped: int = 0

    def add(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)
        self.bad_lines.update(p.line for p in problems if p.kind == "error")


def roster_import(
    *,
    actor: User | None,
    facility: Facility,
    file_name: str,
    content: bytes,
    keep_good: bool = False,
    dry_run: bool = False,
    progress: TrackerFactory = silent,
) -> ImportRun:
    """Import a roster CSV into ``facility`` and return the run with its report.

    With ``dry_run`` nothing is written and the run is returned unsaved.
    """
    _require(actor, Perm.RECORDS_IMPORT, facility, IMPORT_DENIED)
    started_at = clock.now()
    run = ImportRun(
        facility=facility, kind=ImportKind.ROSTER, file_name=file_name[:255],
        sha256=hashlib.sha256(content).hexdigest(), keep_good=keep_good, started_by=actor,
        started_at=started_at,
    )  # fmt: skip
    parsed = parse_roster(content, facility, progress=progress)
    tally = _Tally()
    tally.add(parsed.problems)
    run.rows = parsed.total
    if not parsed.unreadable:
        try:
            with transaction.atomic():
                tracker = progress(PROGRESS_APPLIED, len(parsed.rows))
                for row in parsed.rows:
                    _import_row(actor, facility, row, tally)
                    tracker.advance()
                tracker.close()
                _settle(run, tally, keep_good=keep_good)
                if dry_run or run.status == ImportStatus.REJECTED:
                    raise _RollBack
                _record_run(actor, run)
                return run
        except _RollBack:
            pass
    else:
        _settle(run, tally, keep_good=keep_good)
    if run.status == ImportStatus.REJECTED:
        run.imported = 0
    if dry_run:
        # What a real run would have done; nothing was kept.
        run.finished_at = clock.now()
        return run
    # Nothing of the file was kept; the run and its report are.
    with transaction.atomic():
        _record_run(actor, run)
    return run


def _settle(run: ImportRun, tally: _Tally, *, keep_good: bool) -> None:
    run.imported = tally.imported
    run.skipped = tally.skipped
    run.bad = len(tally.bad_lines)
    run.report = [p.as_dict() for p in sorted(tally.problems, key=lambda p: p.line)]
    if run.bad and (not keep_good or not run.imported):
        run.status = ImportStatus.REJECTED
    elif run.bad:
        run.status = ImportStatus.PARTIAL
    else:
        run.status = ImportStatus.IMPORTED


def _record_run(actor: User | None, run: ImportRun) -> None:
    run.finished_at = max(clock.now(), run.started_at)
    run.save()
    audit_record(
        actor=actor, action="import.roster", obj=run, facility=run.facility,
        changes={
            "file_name": run.file_name, "sha256": run.sha256, "rows": run.rows,
            "imported": run.imported, "skipped": run.skipped, "bad": run.bad,
            "keep_good": run.keep_good, "status": run.status,
        },
    )  # fmt: skip


def _import_row(actor: User | None, facility: Facility, row: RosterRow, tally: _Tally) -> None:
    number = (
        Booking.objects.filter(facility=facility, external_reference__iexact=row.external_id)
        .values_list("booking_number", flat=True)
        .first()
    )
    if number is not None:
        tally.skipped += 1
        tally.add(
            [Problem(row.line, "external_id", ALREADY_IMPORTED.format(number=number), "skipped")]
        )
        return
    stage = "person"
    try:
        # The row's savepoint: a refusal undoes this row only.
        with transaction.atomic():
            person, notes = _person_for(actor, facility, row)
            stage = "booking"
            booking = booking_open(
                actor=actor, facility=facility, person=person, source=row.source,
                legal_status=row.legal_status, booked_at=row.booked_at, details=row.details,
                charges=row.charges, external_reference=row.external_id,
            )  # fmt: skip
            if row.status == BookingStatus.IN_CUSTODY:
                stage = "status"
                booking = booking_transition(
                    actor=actor, booking=booking, to=BookingStatus.IN_CUSTODY, reason=IMPORT_REASON
                )
            # Steps first: a bed needs the receiving screening done (here, or before).
            for step in row.steps_done:
                stage = "steps_done"
                intake_step_complete(actor=actor, booking=booking, step=step, note=STEP_NOTE)
            if row.bed is not None:
                stage = "bed"
                bed_assign(actor=actor, booking=booking, bed=row.bed, reason=IMPORT_REASON)
    except PermissionDenied:
        raise
    except DomainError as exc:
        tally.add(_problems_of(exc, row.line, stage))
        return
    except DatabaseError as exc:
        # The constraints are the last line; a row that reaches them is reported, not fatal.
        tally.add([Problem(row.line, "", DATABASE_REFUSED.format(error=exc))])
        return
    tally.imported += 1
    tally.add(notes)


def _person_for(
    actor: User | None, facility: Facility, row: RosterRow
) -> tuple[Person, list[Problem]]:
    """The person on record this row is about, or a new one (see docs/import-export.md)."""
    matches = person_matches(
        agency_ids={facility.agency_id},
        given_name=row.given_name, family_name=row.family_name,
        date_of_birth=row.date_of_birth, identifiers=row.identifiers,
    )  # fmt: skip
    by_document = [m for m in matches if _IDENTIFIER_REASONS.intersection(m.reasons)]
    if len(by_document) > 1:
        people = "; ".join(_who(m.person) for m in by_document)
        raise ValidationFailed.for_fields(
            {_first_id_column(row): [TWO_PEOPLE.format(people=people)]}
        )
    strong = by_document or [m for m in matches if m.score >= MATCH_SCORE]
    if len(strong) > 1:
        raise ValidationFailed.for_fields(
            {"person": [SAME_NAME_AND_BIRTH.format(count=len(strong))]}
        )
    if not strong:
        person = person_create(
            actor=actor, facility=facility, given_name=row.given_name,
            family_name=row.family_name, date_of_birth=row.date_of_birth, sex=row.sex,
            identifiers=row.identifiers,
        )  # fmt: skip
        return person, []
    match = strong[0]
    person = match.person
    notes = [
        Problem(
            row.line, "person",
            PERSON_REUSED.format(
                person=person, born=person.date_of_birth or "date of birth unknown",
                reasons=", ".join(match.reasons),
            ),
            "note",
        )
    ]  # fmt: skip
    held = {(i.kind, i.value_key) for i in person.identifiers.all()}
    for kind, value in row.identifiers.items():
        if (kind, identifier_key(value)) not in held:
            person_identifier_add(
                actor=actor, person=person, kind=kind, value=value, facility=facility
            )
            label = IdentifierKind(kind).label.lower()
            notes.append(
                Problem(
                    row.line, f"id_{kind}",
                    IDENTIFIER_ADDED.format(person=person, kind=label), "note",
                )
            )  # fmt: skip
    return person, notes


def _who(person: Person) -> str:
    born = f", born {person.date_of_birth}" if person.date_of_birth else ""
    return f"{person}{born}"


def _first_id_column(row: RosterRow) -> str:
    for column, kind in IDENTIFIER_COLUMNS.items():
        if kind in row.identifiers:
            return column
    return "person"


# What the file can do about a refusal, when the service's message cannot say it.
_HINTS = {
    "intake_before_housing": (
        " If the previous system screened the person, list medical_screening in steps_done."
    ),
}


def _problems_of(exc: DomainError, line: int, stage: str) -> list[Problem]:
    """The services' refusal as report lines, under the CSV column each is about."""
    fields: dict[str, list[str]] | None = exc.extra.get("fields")
    if not fields:
        column = _CODE_FIELDS.get(exc.code) or _STAGE_FIELDS.get(stage, stage)
        return [Problem(line, column, exc.message + _HINTS.get(exc.code, ""))]
    problems = []
    for name, messages in fields.items():
        for message in messages:
            column, text = _column_of(name, message)
            problems.append(Problem(line, column, text))
    return problems


def _column_of(name: str, message: str) -> tuple[str, str]:
    if name.startswith("charges["):
        # "charges[0].severity" -> the charges column, "charge 1, severity: ...".
        index, _, part = name[len("charges[") :].partition("].")
        number = int(index) + 1 if index.isdigit() else index
        return "charges", f"charge {number}, {part}: {message}"
    if name == "identifiers":
        kind = message.split(" ", 1)[0]
        if kind in IdentifierKind.values:
            return f"id_{kind}", message
    return name, message


# --- Export and loading an export -------------------------------------------


def facility_export(
    *,
    actor: User | None,
    facility: Facility,
    out_dir: Path,
    force: bool = False,
    progress: TrackerFactory = silent,
) -> export_format.ExportResult:
    """Write every record of ``facility`` to ``out_dir``; the read itself is audited."""
    _require(actor, Perm.RECORDS_EXPORT, facility, EXPORT_DENIED)
    result = export_format.write_export(
        facility, out_dir, force=force, exported_by=actor, progress=progress
    )
    with transaction.atomic():
        audit_record(
            actor=actor, action="export.facility", obj=facility, facility=facility,
            changes={
                "directory": str(out_dir), "manifest_sha256": result.manifest_sha256,
                "counts": result.counts,
            },
        )  # fmt: skip
    return result


def export_load(
    *, actor: User | None, directory: Path, progress: TrackerFactory = silent
) -> ImportRun:
    """Load an export into this database, all or nothing; the facility must be new here."""
    started_at = clock.now()
    export = export_format.open_export(directory)
    with transaction.atomic():
        loaded = export_format.load_export(export, progress=progress)
        for kind, records in loaded.audited.items():
            for obj, changes in records:
                audit_record(
                    actor=actor, action=f"{kind}.import", obj=obj, facility=loaded.facility,
                    changes=changes,
                )  # fmt: skip
        total = sum(loaded.counts.values())
        run = ImportRun.objects.create(
            facility=loaded.facility, kind=ImportKind.EXPORT, file_name=directory.name[:255],
            sha256=export.manifest_sha256, status=ImportStatus.IMPORTED, rows=total,
            imported=total, started_by=actor, started_at=started_at,
            finished_at=max(clock.now(), started_at),
        )  # fmt: skip
        audit_record(
            actor=actor,
            action="import.export",
            obj=run,
            facility=loaded.facility,
            changes=_export_summary(export, loaded.counts),
        )
    return run


def _export_summary(export: export_format.OpenedExport, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "facility": export.manifest["facility"],
        "exported_at": export.manifest["exported_at"],
        "exported_by": export.manifest.get("exported_by"),
        "manifest_sha256": export.manifest_sha256,
        "counts": counts,
    }
