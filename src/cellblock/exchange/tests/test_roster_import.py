import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, BookingStatus, IntakeStep
from cellblock.booking.services import booking_open
from cellblock.core import clock
from cellblock.core.errors import PermissionDenied
from cellblock.exchange import roster_csv
from cellblock.exchange.models import ImportRun, ImportStatus
from cellblock.exchange.services import ALREADY_IMPORTED, roster_import
from cellblock.exchange.tests.support import roster, row, write
from cellblock.housing.models import BedAssignment
from cellblock.people.models import Person
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db


def good_file() -> bytes:
    return roster(
        row(
            "OLD-1", "Hatake", "Kakashi", id_passport="P-1001", id_fbi="F-1",
            charges="KPC 211|Robbery|felony|2|CR-1;KPC 594|Vandalism|misdemeanour",
            committing_authority="Konoha Police", authority_reference="W-1",
            cell="A1-1", bed="B1", steps_done="identity;charges;medical_screening",
        ),
        row("OLD-2", "Haruno", "Sakura", sex="female", legal_status="hold", status="intake"),
        row("OLD-3", "Uzumaki", "Naruto", cell="A1/A1-2", bed="b2", source="Transfer_In",
            steps_done="Medical_Screening"),
    )  # fmt: skip


def run_import(site, content, **options):
    return roster_import(
        actor=None, facility=site.facility, file_name="roster.csv", content=content, **options
    )


def report_of(run):
    return [(entry["line"], entry["field"], entry["message"]) for entry in run.report]


def errors_of(run):
    return [(e["line"], e["field"], e["message"]) for e in run.report if e["kind"] == "error"]


# --- A good file -----------------------------------------------------------------


def test_a_good_file_books_houses_and_charges_everyone_in_it(site, commander):
    run = roster_import(
        actor=commander, facility=site.facility, file_name="roster.csv", content=good_file()
    )
    assert (run.status, run.rows, run.imported, run.skipped, run.bad) == ("imported", 3, 3, 0, 0)
    kakashi = Booking.objects.get(external_reference="OLD-1")
    assert kakashi.status == BookingStatus.IN_CUSTODY
    assert kakashi.booked_by == commander
    assert kakashi.committing_authority == "Konoha Police"
    assert kakashi.person.date_of_birth == dt.date(1990, 5, 1)
    assert {i.kind: i.value for i in kakashi.person.identifiers.all()} == {
        "passport": "P-1001", "fbi": "F-1",
    }  # fmt: skip
    charges = list(kakashi.charges.values_list("statute", "severity", "counts", "case_number"))
    assert charges == [("KPC 211", "felony", 2, "CR-1"), ("KPC 594", "misdemeanour", 1, "")]
    housed = BedAssignment.objects.get(booking=kakashi, ended_at__isnull=True)
    assert (housed.bed.cell.code, housed.bed.code) == ("A1-1", "B1")
    done = set(
        IntakeStep.objects.filter(booking=kakashi, completed_at__isnull=False).values_list(
            "step", flat=True
        )
    )
    assert done == {"identity", "charges", "medical_screening", "housing"}
    sakura = Booking.objects.get(external_reference="OLD-2")
    assert (sakura.status, sakura.legal_status) == (BookingStatus.INTAKE, "hold")
    naruto = Booking.objects.get(external_reference="OLD-3")
    assert naruto.source == "transfer_in"
    assert naruto.bed_assignments.get().bed.cell.code == "A1-2"


def test_a_time_without_an_offset_is_read_on_the_facility_clock(site):
    site.facility.timezone = "Asia/Tokyo"
    site.facility.save(update_fields=["timezone"])
    run = run_import(site, roster(row("OLD-1", "Hatake", "Kakashi", booked_at="2025-03-01 09:30")))
    assert run.status == "imported", run.report
    booked = Booking.objects.get().booked_at
    assert booked == dt.datetime(2025, 3, 1, 0, 30, tzinfo=dt.UTC)


def test_the_import_is_summed_up_in_one_audit_event_beside_the_services_own(site, commander):
    before = AuditEvent.objects.count()
    run = roster_import(
        actor=commander, facility=site.facility, file_name="roster.csv", content=good_file()
    )
    event = AuditEvent.objects.filter(action="import.roster").get()
    assert event.actor == commander
    assert event.facility == site.facility
    assert event.object_id == str(run.public_id)
    assert event.changes == {
        "file_name": "roster.csv", "sha256": run.sha256, "rows": 3, "imported": 3,
        "skipped": 0, "bad": 0, "keep_good": False, "status": "imported",
    }  # fmt: skip
    actions = list(AuditEvent.objects.filter(seq__gt=before).values_list("action", flat=True))
    assert actions.count("booking.open") == 3
    assert actions.count("person.create") == 3
    assert actions.count("housing.assign") == 2
    assert actions[-1] == "import.roster"


def test_the_command_shows_progress_for_checking_and_writing(site, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    path = write(tmp_path, good_file())
    call_command("import", "roster", str(path), "--facility", "tst", stdout=out, stderr=err)
    assert "3/3 rows read" in err.getvalue()
    assert "3/3 rows checked and written" in err.getvalue()
    assert "Imported: 3 imported, 0 already imported and skipped, 0 bad." in out.getvalue()
    assert Booking.objects.filter(facility=site.facility).count() == 3


def test_a_dry_run_checks_everything_and_writes_nothing(site, tmp_path):
    out = io.StringIO()
    path = write(tmp_path, good_file())
    call_command(
        "import", "roster", str(path), "--facility", "TST", "--dry-run", stdout=out,
        stderr=io.StringIO(),
    )  # fmt: skip
    assert out.getvalue() == (
        "Dry run, nothing was written: 3 rows would be imported, 0 already imported would be "
        "skipped, 0 bad.\n"
    )
    assert not Booking.objects.exists()
    assert not ImportRun.objects.exists()
    assert not AuditEvent.objects.filter(action="import.roster").exists()


# --- A bad file --------------------------------------------------------------------


# A person housed in the previous system was screened there: the screening comes before a bed.
SCREENED = "medical_screening"


def bad_file(other_site) -> bytes:
    held = person_create(
        actor=None, facility=other_site.facility, given_name="Itachi", family_name="Uchiha",
        identifiers={"passport": "P-666"},
    )  # fmt: skip
    booking_open(actor=None, facility=other_site.facility, person=held, source="arrest")
    tomorrow = (clock.now() + dt.timedelta(days=1)).isoformat()
    return roster(
        row("OLD-1", "Hatake", "Kakashi", cell="A1-1", bed="B1", steps_done=SCREENED),  # 2: good
        # A quoted value over two lines: the next row starts on line 5.
        row("OLD-2", "Haruno", "Sakura", date_of_birth="31/02/1990",
            committing_authority="Konoha\nPolice"),  # lines 3-4
        row("OLD-3", "Uzumaki", "Naruto", charges="KPC 1|Theft|felon"),  # line 5
        row("OLD-4", "Nara", "Shikamaru", cell="Z9", bed="B1"),  # line 6
        row("OLD-5", "Akimichi", "Choji", cell="A1-1", bed="B1",
            steps_done=SCREENED),  # line 7: taken by line 2
        row("OLD-1", "Yamanaka", "Ino"),  # line 8
        row("OLD-6", "Uchiha", "Itachi", id_passport="p 666"),  # line 9: held at OTH
        row("OLD-7", "Hyuga", "Hinata", booked_at=tomorrow),  # line 10
        row("OLD-8", "Hyuga", "Neji", date_of_birth="2030-01-01"),  # line 11
        row("OLD-9", "Rock", "Lee", status="released", sex="M"),  # line 12
        row("OLD-10", "Sarutobi", "Asuma", cell="A1-1", bed="B2",
            steps_done=SCREENED),  # line 13: good
    )  # fmt: skip


def test_every_bad_row_is_reported_with_its_line_field_and_reason(site, other_site):
    run = run_import(site, bad_file(other_site))
    errors = errors_of(run)
    assert (3, "date_of_birth", "31/02/1990 is not a date (YYYY-MM-DD).") in errors
    assert (
        5, "charges",
        "charge 1, severity: 'felon' is not a severity; one of felony, misdemeanour, infraction.",
    ) in errors  # fmt: skip
    assert (6, "cell", "Z9 is not a cell of Test Jail.") in errors
    assert (7, "bed", "Bed A1-1/B1 is occupied by TST-2026-000001.") in errors
    assert (8, "external_id", "OLD-1 is also on line 2: each booking appears once.") in errors
    line_9 = [e for e in errors if e[0] == 9]
    assert line_9[0][1] == "person"
    assert "already has an open booking (OTH-" in line_9[0][2]
    assert (10, "booked_at", "cannot be in the future.") in errors
    assert (11, "date_of_birth", "cannot be in the future.") in errors
    assert (12, "status", "released is not one of intake or in_custody.") in errors
    assert (12, "sex", "M is not one of male, female, intersex, unknown.") in errors
    assert {e[0] for e in errors} == {3, 5, 6, 7, 8, 9, 10, 11, 12}
    assert (run.status, run.rows, run.imported, run.bad) == ("rejected", 11, 0, 9)


def test_a_housed_row_without_the_receiving_screening_is_a_bad_row_naming_the_step(site):
    run = run_import(
        site,
        roster(
            row("OLD-1", "Hatake", "Kakashi", cell="A1-1", bed="B1", steps_done="identity"),
            row("OLD-2", "Haruno", "Sakura", cell="A1-1", bed="B2", steps_done=SCREENED),
        ),
    )
    assert errors_of(run) == [
        (
            2,
            "bed",
            "TST-2026-000001 cannot be housed before: Medical receiving screening. If the "
            "previous system screened the person, list medical_screening in steps_done.",
        )
    ]
    assert (run.status, run.imported, run.bad) == ("rejected", 0, 1)
    assert not BedAssignment.objects.exists()


def test_a_bad_file_writes_nothing_but_its_run_and_report(site, other_site):
    content = bad_file(other_site)
    people = Person.objects.count()
    events = AuditEvent.objects.count()
    run = run_import(site, content)
    assert not Booking.objects.filter(facility=site.facility).exists()
    assert Person.objects.count() == people
    assert not BedAssignment.objects.exists()
    saved = ImportRun.objects.get()
    assert saved == run
    assert saved.status == ImportStatus.REJECTED
    # One event: the run itself.  The rows' own events went with their rows.
    assert list(AuditEvent.objects.filter(seq__gt=events).values_list("action", flat=True)) == [
        "import.roster"
    ]


def test_a_date_of_birth_after_the_booking_is_refused_by_the_booking_rule(site):
    booked = (clock.now() - dt.timedelta(days=400)).date()
    born = booked + dt.timedelta(days=10)
    run = run_import(
        site,
        roster(
            row(
                "OLD-1", "Hyuga", "Neji", booked_at=booked.isoformat(),
                date_of_birth=born.isoformat(),
            )
        ),
    )  # fmt: skip
    [(line, field, message)] = errors_of(run)
    assert (line, field) == (2, "date_of_birth")
    assert message.startswith("is after the booking time")


def test_a_missing_required_column_rejects_the_whole_file(site):
    content = roster(
        row("OLD-1", "Hatake", "Kakashi"),
        columns=["external_id", "family_name", "given_name", "source", "legal_status"],
    )
    run = run_import(site, content)
    assert run.status == "rejected"
    assert report_of(run) == [
        (1, "booked_at", roster_csv.MISSING_COLUMN.format(
            columns=", ".join(roster_csv.REQUIRED_COLUMNS)
        ))
    ]  # fmt: skip


def test_an_unknown_column_rejects_the_whole_file(site):
    content = b"external_id,family_name,given_name,booked_at,source,legal_status,dob\n"
    run = run_import(site, content + b"X,A,B,2025-01-01,arrest,pretrial,1990-01-01\n")
    assert [(e["line"], e["field"]) for e in run.report] == [(1, "dob")]


def test_a_file_that_is_not_utf8_is_refused(site):
    run = run_import(site, "external_id\nÉ\n".encode("latin-1"))
    assert report_of(run) == [(1, "", roster_csv.NOT_UTF8)]


def test_the_command_fails_and_prints_the_report_when_rows_are_bad(site, other_site, tmp_path):
    out = io.StringIO()
    path = write(tmp_path, bad_file(other_site))
    with pytest.raises(CommandError, match="Rejected: 9 of 11 rows are bad; nothing was imported"):
        call_command(
            "import", "roster", str(path), "--facility", "TST", stdout=out, stderr=io.StringIO()
        )
    assert "line 3, date_of_birth: 31/02/1990 is not a date (YYYY-MM-DD)." in out.getvalue()


# --- Keeping the good rows -----------------------------------------------------------


def test_keep_good_imports_the_good_rows_and_reports_the_bad(site, other_site):
    run = run_import(site, bad_file(other_site), keep_good=True)
    assert (run.status, run.imported, run.bad) == ("partial", 2, 9)
    kept = set(
        Booking.objects.filter(facility=site.facility).values_list("external_reference", flat=True)
    )
    assert kept == {"OLD-1", "OLD-10"}
    assert {e[0] for e in errors_of(run)} == {3, 5, 6, 7, 8, 9, 10, 11, 12}
    assert AuditEvent.objects.filter(action="import.roster").get().changes["imported"] == 2


def test_keep_good_through_the_command(site, other_site, tmp_path):
    out = io.StringIO()
    path = write(tmp_path, bad_file(other_site))
    call_command(
        "import", "roster", str(path), "--facility", "TST", "--keep-good", stdout=out,
        stderr=io.StringIO(),
    )  # fmt: skip
    assert "Partly imported: 2 imported, 0 already imported and skipped, 9 bad." in out.getvalue()


# --- Running again -----------------------------------------------------------------


def test_running_a_file_again_skips_the_rows_already_imported(site):
    run_import(site, good_file())
    again = run_import(site, good_file())
    assert (again.status, again.imported, again.skipped, again.bad) == ("imported", 0, 3, 0)
    assert Booking.objects.filter(facility=site.facility).count() == 3
    number = Booking.objects.get(external_reference="OLD-1").booking_number
    assert (2, "external_id", ALREADY_IMPORTED.format(number=number)) in report_of(again)
    assert {e["kind"] for e in again.report} == {"skipped"}


def test_after_fixing_the_bad_rows_the_same_file_loads_the_rest(site):
    first = run_import(
        site,
        roster(row("OLD-1", "Hatake", "Kakashi"), row("OLD-2", "Haruno", "Sakura", sex="F")),
        keep_good=True,
    )
    assert (first.imported, first.bad) == (1, 1)
    fixed = run_import(
        site,
        roster(row("OLD-1", "Hatake", "Kakashi"), row("OLD-2", "Haruno", "Sakura", sex="female")),
    )
    assert (fixed.status, fixed.imported, fixed.skipped) == ("imported", 1, 1)


# --- Who the person is ------------------------------------------------------------------


def test_a_person_with_the_same_document_is_booked_again_not_created_twice(site):
    known = person_create(
        actor=None, facility=site.facility, given_name="Kakasi", family_name="Hatake",
        identifiers={"passport": "P-1001"},
    )  # fmt: skip
    run = run_import(site, roster(row("OLD-1", "Hatake", "Kakashi", id_passport="p 1001")))
    assert run.imported == 1
    assert Booking.objects.get().person == known
    assert Person.objects.count() == 1
    [note] = [e for e in run.report if e["kind"] == "note"]
    assert note["field"] == "person"
    assert "same Passport" in note["message"]


def test_the_same_name_and_birth_date_match_whatever_the_accents_and_case(site):
    known = person_create(
        actor=None, facility=site.facility, given_name="José", family_name="Núñez",
        date_of_birth=dt.date(1990, 5, 1),
    )  # fmt: skip
    run = run_import(site, roster(row("OLD-1", "NUNEZ", "jose", id_other="X-1")))
    assert Booking.objects.get().person == known
    notes = {e["field"]: e["message"] for e in run.report if e["kind"] == "note"}
    assert "same name and date of birth" in notes["person"]
    # The new document joins the record, and the report says so.
    assert "it was added" in notes["id_other"]
    assert known.identifiers.get().value == "X-1"


def test_the_same_name_with_another_birth_date_is_another_person(site):
    person_create(
        actor=None, facility=site.facility, given_name="José", family_name="Núñez",
        date_of_birth=dt.date(1970, 1, 1),
    )  # fmt: skip
    run_import(site, roster(row("OLD-1", "Nunez", "Jose")))
    assert Person.objects.count() == 2


def test_two_people_with_the_same_name_and_birth_date_need_a_document(site):
    for _ in range(2):
        person_create(
            actor=None, facility=site.facility, given_name="Jose", family_name="Nunez",
            date_of_birth=dt.date(1990, 5, 1),
        )  # fmt: skip
    run = run_import(site, roster(row("OLD-1", "Nunez", "Jose")))
    [(line, field, message)] = errors_of(run)
    assert (line, field) == (2, "person")
    assert message.startswith("2 people on record have this name and date of birth")


def test_documents_of_two_different_people_are_refused(site):
    person_create(
        actor=None, facility=site.facility, given_name="A", family_name="One",
        identifiers={"passport": "P-1"},
    )  # fmt: skip
    person_create(
        actor=None, facility=site.facility, given_name="B", family_name="Two",
        identifiers={"state_id": "S-2"},
    )  # fmt: skip
    run = run_import(site, roster(row("OLD-1", "One", "A", id_passport="P-1", id_state_id="S-2")))
    [(line, field, message)] = errors_of(run)
    assert (line, field) == (2, "id_state_id")
    assert message.startswith("the identifiers belong to different people on record")


def test_the_same_person_twice_in_one_file_is_refused_the_second_time(site):
    run = run_import(
        site,
        roster(
            row("OLD-1", "Hatake", "Kakashi", id_passport="P-1"),
            row("OLD-2", "Hatake", "Kakashi", id_passport="P-1"),
        ),
    )
    [(line, field, message)] = errors_of(run)
    assert (line, field) == (3, "person")
    assert "already has an open booking" in message


# --- Who may import -------------------------------------------------------------------


def test_only_a_holder_of_records_import_may_import(site, booking_clerk):
    with pytest.raises(PermissionDenied):
        roster_import(
            actor=booking_clerk, facility=site.facility, file_name="r.csv", content=good_file()
        )


def test_the_command_acts_as_the_user_named_with_as(site, commander, officer, tmp_path):
    path = write(tmp_path, good_file())
    with pytest.raises(CommandError, match=re.escape("records.import")):
        call_command(
            "import", "roster", str(path), "--facility", "TST", "--as", officer.username,
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
    call_command(
        "import", "roster", str(path), "--facility", "TST", "--as", commander.username,
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    assert ImportRun.objects.get().started_by == commander


def test_the_example_file_imports_as_it_is(site, commander, client_for):
    response = client_for(commander).get("/imports/example.csv")
    assert response["Content-Disposition"] == 'attachment; filename="roster-example.csv"'
    run = run_import(site, response.content)
    assert (run.status, run.imported) == ("imported", 2), run.report
    assert BedAssignment.objects.filter(ended_at__isnull=True).count() == 1


def test_the_example_in_the_documentation_imports(site, settings):
    docs = settings.PROJECT_DIR / "docs" / "import-export.md"
    example = docs.read_text().split("```csv\n", 1)[1].split("```", 1)[0]
    run = run_import(site, example.encode())
    assert (run.status, run.imported, run.bad) == ("imported", 2, 0), run.report


def test_a_count_written_with_a_superscript_digit_is_a_bad_row_not_a_crash(site):
    run = run_import(site, roster(row("OLD-1", "Lee", "Rock", charges="KPC 1|Theft|felony|²")))
    assert errors_of(run) == [
        (2, "charges", roster_csv.BAD_COUNTS.format(n=1, value="²")),
    ]
    assert not Booking.objects.exists()
