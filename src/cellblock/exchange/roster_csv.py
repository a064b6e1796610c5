"""The roster CSV: its columns, and turning its text into rows the services can take.

This module checks what only the file can tell: that a column exists, that a
date is a date, that a cell code names a cell of the facility, that an
external id appears once.  Everything the services already rule on (a source
or severity that is not one of ours, a booking in the future, a date of birth
after the booking, a person already held elsewhere, a bed taken) is left to
them: ``services.roster_import`` runs every row through them and reports what
they refuse, so the importer and the intake pages never disagree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models

from cellblock.booking.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Charge,
    ChargeSeverity,
    IntakeStepCode,
    LegalStatus,
)
from cellblock.booking.services import BookingDetails, ChargeData
from cellblock.core.progress import TrackerFactory, silent
from cellblock.facilities.models import Bed, Facility
from cellblock.people.models import IdentifierKind, Person, PersonIdentifier, Sex

# --- The columns -------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    format: str
    example: str


IDENTIFIER_COLUMNS: dict[str, str] = {f"id_{kind}": kind for kind in IdentifierKind.values}
STEPS_FROM_FILE = tuple(code for code in IntakeStepCode.values if code != IntakeStepCode.HOUSING)
STATUSES_FROM_FILE = (BookingStatus.INTAKE.value, BookingStatus.IN_CUSTODY.value)

COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id", True,
        "The booking's id in the system the population comes from. A row whose id was "
        "imported before at this facility is skipped, so a file can be loaded again.",
        "OLD-2024-0042",
    ),
    Column("family_name", True, "Family name. A row needs a family or a given name.", "Hatake"),
    Column("given_name", True, "Given name(s).", "Kakashi"),
    Column("date_of_birth", False, "YYYY-MM-DD.", "1996-09-15"),
    Column("sex", False, f"One of {', '.join(Sex.values)}; empty means unknown.", "male"),
    *(
        Column(name, False, f"{IdentifierKind(kind).label}: the document number.", example)
        for (name, kind), example in zip(
            IDENTIFIER_COLUMNS.items(),
            ("S-1234567", "FBI-778899", "P1234567", "DL-0042", "KON-0042", "ANBU-7"),
            strict=True,
        )
    ),
    Column(
        "booked_at", True,
        "When the person was booked: ISO 8601, with an offset (2026-03-01T08:30:00+02:00) "
        "or without one in the facility's time zone (2026-03-01 08:30).",
        "2026-03-01T08:30:00+09:00",
    ),
    Column("source", True, f"One of {', '.join(BookingSource.values)}.", "arrest"),
    Column("legal_status", True, f"One of {', '.join(LegalStatus.values)}.", "pretrial"),
    Column("committing_authority", False, "Who ordered the detention.", "Konoha Police"),
    Column("authority_reference", False, "Its warrant, order or case reference.", "W-2026-17"),
    Column(
        "charges", False,
        "Charges separated by ';', each statute|description|severity|counts|case_number; "
        f"severity one of {', '.join(ChargeSeverity.values)}; counts (default 1) and "
        "case number may be left out.",
        "KPC 211|Robbery|felony|2|CR-2026-1;KPC 594|Vandalism|misdemeanour",
    ),
    Column(
        "cell", False,
        "Code of the cell the person sleeps in (UNIT/CELL when two units share a cell "
        "code). Give the bed too.",
        "A1-1",
    ),
    Column("bed", False, "The bed's label in that cell.", "B1"),
    Column(
        "status", False,
        "intake or in_custody; empty means in_custody (the person is already held).",
        "in_custody",
    ),
    Column(
        "steps_done", False,
        "Intake steps the previous system completed, separated by ';': "
        f"{', '.join(STEPS_FROM_FILE)}. Housing is done by giving a bed; a row with a bed "
        "needs medical_screening (the receiving screening comes before a bed).",
        "identity;charges;property",
    ),
)  # fmt: skip
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
REQUIRED_COLUMNS = tuple(column.name for column in COLUMNS if column.required)

# --- Messages ----------------------------------------------------------------

PROGRESS_READ = "rows read"

NOT_UTF8 = "the file is not UTF-8 text (save it as 'CSV UTF-8')."
NOT_CSV = "the file cannot be read as CSV: {error}."
NO_HEADER = "the file is empty: the first line must name the columns."
NO_ROWS = "the file has a header but no rows."
MISSING_COLUMN = "required column is missing: every file needs {columns}."
UNKNOWN_COLUMN = "is not a roster column; the columns are {columns}."
DUPLICATE_COLUMN = "appears twice in the header."
TOO_MANY_VALUES = "the row has {found} values but the header names {expected} columns."
REQUIRED = "is required."
NEED_A_NAME = "a given name or a family name is required."
TOO_LONG = "is {length} characters long; at most {limit} fit."
NOT_A_DATE = "{value} is not a date (YYYY-MM-DD)."
NOT_A_MOMENT = "{value} is not a date and time (ISO 8601, e.g. 2026-03-01T08:30:00+02:00)."
NOT_A_CHOICE = "{value} is not one of {choices}."
DUPLICATE_EXTERNAL_ID = "{value} is also on line {line}: each booking appears once."
BAD_CHARGE = (
    "charge {n}: write statute|description|severity|counts|case_number "
    "(counts and case number may be left out)."
)
BAD_COUNTS = "charge {n}: counts {value} is not a whole number."
UNKNOWN_CELL = "{value} is not a cell of {facility}."
AMBIGUOUS_CELL = "{value} is a cell code in units {units}: write UNIT/CELL, e.g. {example}."
UNKNOWN_BED = "{value} is not a bed of cell {cell}."
BED_WITHOUT_CELL = "give the cell of this bed too."
CELL_WITHOUT_BED = "give the bed in this cell too."


@dataclass(frozen=True)
class Problem:
    """One line of a report: a bad value, a skipped row or a note."""

    line: int
    field: str
    message: str
    kind: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message, "kind": self.kind}

    def __str__(self) -> str:
        where = f"line {self.line}, {self.field}" if self.field else f"line {self.line}"
        return f"{where}: {self.message}"


@dataclass
class RosterRow:
    """One row, parsed: the values the services are called with."""

    line: int
    external_id: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    sex: str
    identifiers: dict[str, str]
    booked_at: dt.datetime
    source: str
    legal_status: str
    details: BookingDetails
    charges: list[ChargeData]
    bed: Bed | None
    status: str
    steps_done: list[str]


@dataclass
class ParsedRoster:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Data rows in the file, good and bad.
    total: int = 0
    # Lines of the rows that failed here (their problems are in ``problems``).
    bad_lines: set[int] = field(default_factory=set)
    # The file as a whole cannot be read: no row was looked at.
    unreadable: bool = False


# --- The facility's beds -----------------------------------------------------


class BedIndex:
    """Cells and beds of one facility by code: read once, looked up per row."""

    def __init__(self, facility: Facility) -> None:
        self.facility = facility
        self._cells: dict[str, list[tuple[str, int, str]]] = {}
        self._beds: dict[int, dict[str, Bed]] = {}
        beds = Bed.objects.filter(cell__unit__zone__facility=facility).select_related("cell__unit")
        for bed in beds:
            cell = bed.cell
            if cell.pk not in self._beds:
                self._cells.setdefault(cell.code.casefold(), []).append(
                    (cell.unit.code, cell.pk, cell.code)
                )
                self._beds[cell.pk] = {}
            self._beds[cell.pk][bed.code.casefold()] = bed

    def find(self, cell_text: str, bed_text: str) -> tuple[Bed | None, str, str]:
        """The bed, or ``(None, field, message)`` saying what is wrong."""
        unit_code, _, cell_code = cell_text.rpartition("/")
        found = self._cells.get(cell_code.strip().casefold(), [])
        if unit_code:
            found = [entry for entry in found if entry[0].casefold() == unit_code.casefold()]
        if not found:
            return None, "cell", UNKNOWN_CELL.format(value=cell_text, facility=self.facility.name)
        if len(found) > 1:
            units = ", ".join(sorted(entry[0] for entry in found))
            example = f"{found[0][0]}/{found[0][2]}"
            return (
                None,
                "cell",
                AMBIGUOUS_CELL.format(value=cell_text, units=units, example=example),
            )
        _, cell_pk, code = found[0]
        bed = self._beds[cell_pk].get(bed_text.casefold())
        if bed is None:
            return None, "bed", UNKNOWN_BED.format(value=bed_text, cell=code)
        return bed, "", ""


# --- Parsing -----------------------------------------------------------------


def _limit(model: type[models.Model], name: str) -> int:
    model_field = model._meta.get_field(name)
    if not isinstance(model_field, models.CharField) or model_field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not a text column with a length limit.")
    return model_field.max_length


# The longest value each text column may hold, from the model it goes into.
LENGTH_LIMITS: dict[str, int] = {
    "external_id": _limit(Booking, "external_reference"),
    "family_name": _limit(Person, "family_name"),
    "given_name": _limit(Person, "given_name"),
    "committing_authority": _limit(Booking, "committing_authority"),
    "authority_reference": _limit(Booking, "authority_reference"),
    **{name: _limit(PersonIdentifier, "value") for name in IDENTIFIER_COLUMNS},
}
CHARGE_LIMITS = {name: _limit(Charge, name) for name in ("statute", "description", "case_number")}


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the physical line each starts on (a quoted value may span lines)."""
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines)
    start = 1
    for record in reader:
        yield start, record
        start = reader.line_num + 1


def parse_roster(
    content: bytes,
    facility: Facility,
    *,
    progress: TrackerFactory = silent,
) -> ParsedRoster:
    """Read ``content`` for ``facility``; every problem the file alone shows is reported."""
    parsed = ParsedRoster()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        parsed.problems.append(Problem(1, "", NOT_UTF8))
        parsed.unreadable = True
        return parsed
    try:
        records = [(line, values) for line, values in _records(text) if any(values)]
    except csv.Error as exc:
        parsed.problems.append(Problem(1, "", NOT_CSV.format(error=exc)))
        parsed.unreadable = True
        return parsed
    if not records:
        parsed.problems.append(Problem(1, "", NO_HEADER))
        parsed.unreadable = True
        return parsed
    header_line, header = records[0]
    columns = [name.strip().lower() for name in header]
    _check_header(parsed, header_line, columns)
    if parsed.unreadable:
        return parsed
    body = records[1:]
    parsed.total = len(body)
    if not body:
        parsed.problems.append(Problem(header_line, "", NO_ROWS))
        parsed.unreadable = True
        return parsed
    beds = BedIndex(facility)
    zone = ZoneInfo(facility.timezone)
    first_line_of: dict[str, int] = {}
    tracker = progress(PROGRESS_READ, len(body))
    for line, values in body:
        problems: list[Problem] = []
        if len(values) > len(columns):
            problems.append(
                Problem(line, "", TOO_MANY_VALUES.format(found=len(values), expected=len(columns)))
            )
        cells = {
            name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(columns)
        }
        row = _row(line, cells, problems, beds, zone)
        external_id = cells.get("external_id", "")
        if external_id:
            key = external_id.casefold()
            if key in first_line_of:
                problems.append(
                    Problem(
                        line, "external_id",
                        DUPLICATE_EXTERNAL_ID.format(value=external_id, line=first_line_of[key]),
                    )
                )  # fmt: skip
            else:
                first_line_of[key] = line
        if problems or row is None:
            parsed.problems.extend(problems)
            parsed.bad_lines.add(line)
        else:
            parsed.rows.append(row)
        tracker.advance()
    tracker.close()
    return parsed


def _check_header(parsed: ParsedRoster, line: int, columns: list[str]) -> None:
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            parsed.problems.append(Problem(line, name, DUPLICATE_COLUMN))
        elif name not in COLUMN_NAMES:
            parsed.problems.append(
                Problem(
                    line, name or "(blank)", UNKNOWN_COLUMN.format(columns=", ".join(COLUMN_NAMES))
                )
            )
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            parsed.problems.append(
                Problem(line, name, MISSING_COLUMN.format(columns=", ".join(REQUIRED_COLUMNS)))
            )
    if parsed.problems:
        parsed.unreadable = True


def _row(
    line: int,
    cells: dict[str, str],
    problems: list[Problem],
    beds: BedIndex,
    zone: ZoneInfo,
) -> RosterRow | None:
    def bad(name: str, message: str) -> None:
        problems.append(Problem(line, name, message))

    for name, limit in LENGTH_LIMITS.items():
        value = cells.get(name, "")
        if len(value) > limit:
            bad(name, TOO_LONG.format(length=len(value), limit=limit))
    external_id = cells.get("external_id", "")
    if not external_id:
        bad("external_id", REQUIRED)
    given, family = cells.get("given_name", ""), cells.get("family_name", "")
    if not given and not family:
        bad("family_name", NEED_A_NAME)
    born = _date(cells.get("date_of_birth", ""), "date_of_birth", bad)
    sex = cells.get("sex", "").lower() or Sex.UNKNOWN
    if sex not in Sex.values:
        bad("sex", NOT_A_CHOICE.format(value=cells["sex"], choices=", ".join(Sex.values)))
    booked_at = _moment(cells.get("booked_at", ""), zone, bad)
    charges = _charges(cells.get("charges", ""), bad)
    bed = _bed(cells.get("cell", ""), cells.get("bed", ""), beds, bad)
    status = cells.get("status", "").lower() or BookingStatus.IN_CUSTODY
    if status not in STATUSES_FROM_FILE:
        bad(
            "status",
            NOT_A_CHOICE.format(value=cells["status"], choices=" or ".join(STATUSES_FROM_FILE)),
        )
    steps = [
        step.strip().lower() for step in cells.get("steps_done", "").split(";") if step.strip()
    ]
    unknown_steps = [step for step in steps if step not in STEPS_FROM_FILE]
    if unknown_steps:
        bad(
            "steps_done",
            NOT_A_CHOICE.format(value=", ".join(unknown_steps), choices=", ".join(STEPS_FROM_FILE)),
        )
    if problems or booked_at is None:
        return None
    return RosterRow(
        line=line,
        external_id=external_id,
        given_name=given,
        family_name=family,
        date_of_birth=born,
        sex=sex,
        identifiers={
            kind: cells[name] for name, kind in IDENTIFIER_COLUMNS.items() if cells.get(name)
        },
        booked_at=booked_at,
        # Lower case, as the choices are; the services refuse anything else.
        source=cells.get("source", "").lower(),
        legal_status=cells.get("legal_status", "").lower(),
        details=BookingDetails(
            committing_authority=cells.get("committing_authority", ""),
            authority_reference=cells.get("authority_reference", ""),
        ),
        charges=charges,
        bed=bed,
        status=status,
        steps_done=list(dict.fromkeys(steps)),
    )  # fmt: skip


def _date(value: str, name: str, bad: Callable[[str, str], None]) -> dt.date | None:
    if not value:
        return None
    try:
        # fromisoformat also takes 20260301; the file format is the dashed one.
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        bad(name, NOT_A_DATE.format(value=value))
        return None


def _moment(value: str, zone: ZoneInfo, bad: Callable[[str, str], None]) -> dt.datetime | None:
    if not value:
        bad("booked_at", REQUIRED)
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        bad("booked_at", NOT_A_MOMENT.format(value=value))
        return None
    if moment.tzinfo is None:
        # Wall-clock time at the facility, as its old system showed it.
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def _charges(value: str, bad: Callable[[str, str], None]) -> list[ChargeData]:
    charges: list[ChargeData] = []
    for n, text in enumerate((part for part in value.split(";") if part.strip()), start=1):
        parts = [part.strip() for part in text.split("|")]
        if not 3 <= len(parts) <= 5:
            bad("charges", BAD_CHARGE.format(n=n))
            continue
        statute, description, severity = parts[:3]
        counts_text = parts[3] if len(parts) > 3 and parts[3] else "1"
        case_number = parts[4] if len(parts) > 4 else ""
        if not (counts_text.isascii() and counts_text.isdigit()):
            bad("charges", BAD_COUNTS.format(n=n, value=counts_text))
            continue
        for name, text_value in (
            ("statute", statute), ("description", description), ("case_number", case_number)
        ):  # fmt: skip
            if len(text_value) > CHARGE_LIMITS[name]:
                limit = CHARGE_LIMITS[name]
                bad(
                    "charges",
                    f"charge {n}, {name}: " + TOO_LONG.format(length=len(text_value), limit=limit),
                )
        charges.append(
            ChargeData(
                statute=statute, description=description, severity=severity.lower(),
                counts=int(counts_text), case_number=case_number,
            )
        )  # fmt: skip
    return charges


def _bed(
    cell_text: str, bed_text: str, beds: BedIndex, bad: Callable[[str, str], None]
) -> Bed | None:
    if not cell_text and not bed_text:
        return None
    if not cell_text:
        bad("cell", BED_WITHOUT_CELL)
        return None
    if not bed_text:
        bad("bed", CELL_WITHOUT_BED)
        return None
    bed, name, message = beds.find(cell_text, bed_text)
    if bed is None:
        bad(name, message)
    return bed


def example_csv(rows: list[dict[str, str]]) -> str:
    """A roster file with every column, for the page's download and the docs."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMN_NAMES, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in COLUMN_NAMES})
    return out.getvalue()
