import datetime as dt
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from cellblock.accounts.models import User
from cellblock.audit.chain import entry_hash, payload_of
from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking
from cellblock.core.errors import ValidationFailed
from cellblock.exchange import export
from cellblock.exchange.models import ImportRun
from cellblock.exchange.tests.support import populate
from cellblock.facilities.models import Facility
from cellblock.people.models import Person

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def populated(site, other_site, commander, booking_clerk, media):
    return populate(site, other_site, commander, booking_clerk)


def run_export(out: Path, *args: str) -> str:
    stdout = io.StringIO()
    call_command(
        "export", "--facility", "TST", "--out", str(out), *args, stdout=stdout,
        stderr=io.StringIO(),
    )  # fmt: skip
    return stdout.getvalue()


def read(directory: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (directory / name).read_text().splitlines()]


# --- Writing an export ---------------------------------------------------------------


def test_an_export_has_a_file_per_kind_of_record_and_a_manifest_of_their_hashes(
    populated, tmp_path
):
    out = tmp_path / "tst"
    printed = run_export(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["format"], manifest["version"], manifest["facility"]) == (
        "cellblock-export", 1, "TST",
    )  # fmt: skip
    assert manifest["exported_by"] is None
    for name in export.FILES:
        assert (out / name).is_file(), name
        digest = hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert manifest["files"][name] == digest
    counts = manifest["counts"]
    # Five people: the four booked and the protected party of a protective order.
    assert (counts["bookings"], counts["people"], counts["charges"]) == (4, 5, 2)
    assert (counts["property_items"], counts["photos"], counts["bed_assignments"]) == (3, 2, 2)
    # Flags: escape risk, diet (lifted), containment, and the PREA screening's abuser risk.
    assert (counts["flags"], counts["cells"], counts["beds"], counts["posts"]) == (4, 2, 4, 1)
    assert {name: counts[name] for name in CLASSIFICATION_FILES} == {
        "instruments": 1, "assessments": 2, "review_triggers": 1, "prea_screenings": 1,
        "security_groups": 1, "group_memberships": 1, "separation_orders": 2,
        "protective_orders": 1, "staff_conflicts": 1,
        # Kakashi's containment need, and his new maximum level in a medium-rated unit.
        "housing_reviews": 2,
    }  # fmt: skip
    photos = [name for name in manifest["files"] if name.startswith("photos/")]
    assert len(photos) == 4  # two photos of this facility, each with its thumbnail
    manifest_sha = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert f"manifest.json SHA-256: {manifest_sha}" in printed


def test_records_refer_to_each_other_by_public_ids_never_by_row_ids(populated, tmp_path):
    out = tmp_path / "tst"
    run_export(out)
    first = populated.bookings[0]
    [booking] = [
        b for b in read(out, "bookings.jsonl") if b["booking_number"] == first.booking_number
    ]
    assert booking["person"] == str(first.person.public_id)
    assert booking["facility"] == "TST"
    assert booking["booked_by"] == "bea_booking"
    assert "id" not in booking
    steps = [s for s in read(out, "intake_steps.jsonl") if s["booking"] == first.booking_number]
    done = {s["step"]: s["completed_by"] for s in steps if s["completed_at"]}
    assert done == {
        "identity": "bea_booking",
        "property": "bea_booking",
        "medical_screening": "mo_medic",
        "housing": "cara_commander",
        "classification": "cara_commander",
        "prea_screening": "cara_commander",
    }
    [cash] = [p for p in read(out, "property_items.jsonl") if p["description"] == "Cash"]
    assert cash["cash_amount"] == "12.50"


def test_the_facility_names_its_medical_lead_by_username_and_the_lead_comes_along(
    populated, tmp_path
):
    out = tmp_path / "tst"
    run_export(out)
    [facility] = read(out, "facility.jsonl")
    assert facility["medical_lead"] == "mo_medic"
    assert "medical_lead_id" not in facility
    staff = {user["username"]: user for user in read(out, "staff.jsonl")}
    assert staff["mo_medic"]["roles"] == ["medical"]


CLASSIFICATION_FILES = (
    "instruments", "assessments", "review_triggers", "prea_screenings", "security_groups",
    "group_memberships", "separation_orders", "protective_orders", "staff_conflicts",
    "housing_reviews",
)  # fmt: skip


def test_classification_records_refer_to_their_instrument_people_and_staff_by_key(
    populated, tmp_path
):
    out = tmp_path / "tst"
    run_export(out)
    kakashi, _, naruto, gaara = (str(p.public_id) for p in populated.people)
    first = populated.bookings[0].booking_number
    [instrument] = read(out, "instruments.jsonl")
    assert (instrument["code"], instrument["version"]) == ("nic-custody", 1)
    assessments = {a["public_id"]: a for a in read(out, "assessments.jsonl")}
    assert {a["instrument"] for a in assessments.values()} == {instrument["public_id"]}
    [trigger] = read(out, "review_triggers.jsonl")
    overridden = assessments[trigger["satisfied_by"]]
    assert (overridden["status"], overridden["decided_by"]) == (
        "override_approved",
        "sid_supervisor",
    )
    assert read(out, "prea_screenings.jsonl")[0]["booking"] == first
    [group] = read(out, "security_groups.jsonl")
    [member] = read(out, "group_memberships.jsonl")
    assert (member["group"], member["person"]) == (group["public_id"], gaara)
    # Sorted by scope: "total" (the group) before "unit" (the pair).
    with_group, pair = sorted(read(out, "separation_orders.jsonl"), key=lambda o: o["scope"])
    assert (with_group["person"], with_group["group"]) == (kakashi, group["public_id"])
    # A pair is written in the order of the public ids, whatever the row ids were.
    assert [pair["person"], pair["other_person"]] == sorted([kakashi, naruto])
    assert {review["code"] for review in read(out, "housing_reviews.jsonl")} == {
        "containment_missing", "custody_above_rating"
    }  # fmt: skip


def test_the_protected_person_and_the_staff_victim_come_along_though_never_booked_here(
    populated, tmp_path
):
    out = tmp_path / "tst"
    run_export(out)
    ino = str(populated.protected.public_id)
    [order] = read(out, "protective_orders.jsonl")
    assert order["protected_person"] == ino
    assert ino in {p["public_id"] for p in read(out, "people.jsonl")}
    assert ino not in {b["person"] for b in read(out, "bookings.jsonl")}
    [conflict] = read(out, "staff_conflicts.jsonl")
    staff = {user["username"]: user for user in read(out, "staff.jsonl")}
    # An officer of the sister jail: named by the record, with no role here.
    assert staff[conflict["staff"]]["roles"] == []


def test_staff_come_with_their_roles_and_never_a_password(populated, tmp_path):
    out = tmp_path / "tst"
    run_export(out)
    staff = {user["username"]: user for user in read(out, "staff.jsonl")}
    assert staff["cara_commander"]["roles"] == ["commander"]
    assert staff["bea_booking"]["roles"] == ["booking"]
    assert "otto_outsider" not in staff
    for user in staff.values():
        assert set(user) == {*export.STAFF_FIELDS, "roles", "memberships"}
    text = (out / "staff.jsonl").read_text()
    assert "password" not in text
    assert User.objects.get(username="cara_commander").password.split("$")[-1] not in text


def test_the_photos_of_this_facility_are_copied_by_their_hash(populated, tmp_path):
    out = tmp_path / "tst"
    run_export(out)
    photos = read(out, "photos.jsonl")
    assert {p["booking"] for p in photos} == {
        populated.bookings[0].booking_number, populated.bookings[2].booking_number,
    }  # fmt: skip
    for photo in photos:
        image = out / "photos" / Path(photo["image"]).name
        assert hashlib.sha256(image.read_bytes()).hexdigest() == photo["sha256"]
        assert image.name.startswith(photo["sha256"])


def test_the_audit_events_are_exported_for_the_archive_with_hashes_that_check_out(
    populated, tmp_path
):
    out = tmp_path / "tst"
    run_export(out)
    events = read(out, "audit_events.jsonl")
    facility = Facility.objects.get(code="TST")
    # All but the event of this export, recorded once the files are written.
    recorded = AuditEvent.objects.filter(facility=facility).exclude(action="export.facility")
    assert [e["seq"] for e in events] == list(recorded.values_list("seq", flat=True))
    for event in events:
        assert entry_hash(event["prev_hash"], payload_of(event)) == event["entry_hash"]


def test_the_export_itself_is_audited(populated, tmp_path, commander):
    out = tmp_path / "tst"
    run_export(out, "--as", commander.username)
    event = AuditEvent.objects.filter(action="export.facility").get()
    assert event.actor == commander
    assert event.facility == Facility.objects.get(code="TST")
    assert event.changes["counts"]["bookings"] == 4
    manifest = (out / "manifest.json").read_bytes()
    assert event.changes["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert json.loads(manifest)["exported_by"] == commander.username


def test_exporting_as_someone_without_records_export_is_refused(populated, tmp_path, officer):
    with pytest.raises(CommandError, match=re.escape("records.export")):
        run_export(tmp_path / "tst", "--as", officer.username)
    assert not (tmp_path / "tst").exists()
    assert not AuditEvent.objects.filter(action="export.facility").exists()


def test_a_directory_that_is_not_empty_needs_force(populated, tmp_path):
    out = tmp_path / "tst"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    with pytest.raises(CommandError, match="is not empty"):
        run_export(out)
    run_export(out, "--force")
    assert (out / "manifest.json").exists()
    assert (out / "notes.txt").read_text() == "keep"


# --- Loading an export ----------------------------------------------------------------


def test_a_tampered_photo_is_refused_with_its_name(populated, tmp_path):
    out = tmp_path / "tst"
    run_export(out)
    photo = read(out, "photos.jsonl")[0]
    name = f"photos/{Path(photo['image']).name}"
    with (out / name).open("ab") as handle:
        handle.write(b"\x00")
    with pytest.raises(
        CommandError, match=re.escape(f"{name}: its SHA-256 does not match the manifest")
    ):
        call_command("import", "export", str(out), stdout=io.StringIO(), stderr=io.StringIO())


def test_a_tampered_record_file_is_refused(populated, tmp_path):
    out = tmp_path / "tst"
    run_export(out)
    path = out / "charges.jsonl"
    path.write_text(path.read_text().replace("Robbery", "Jaywalking"))
    with pytest.raises(CommandError, match=re.escape("charges.jsonl: its SHA-256 does not match")):
        call_command("import", "export", str(out), stdout=io.StringIO(), stderr=io.StringIO())


def test_an_export_does_not_load_into_a_database_that_has_its_records(populated, tmp_path):
    out = tmp_path / "tst"
    run_export(out)
    counts = (Person.objects.count(), Booking.objects.count(), User.objects.count())
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="This database already has"):
        call_command("import", "export", str(out), stdout=io.StringIO(), stderr=io.StringIO())
    assert (Person.objects.count(), Booking.objects.count(), User.objects.count()) == counts
    assert AuditEvent.objects.count() == events
    assert not ImportRun.objects.exists()


def test_a_directory_without_a_manifest_is_not_an_export(db, tmp_path):
    with pytest.raises(CommandError, match="is not a cellblock export"):
        call_command("import", "export", str(tmp_path), stdout=io.StringIO())


# --- The round trip ---------------------------------------------------------------------


class FreshDatabase:
    """An empty, migrated database of the suite's own engine, reached by the commands."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.pg_name = ""
        if connection.vendor == "postgresql":
            params = connection.settings_dict
            self.pg_name = f"{params['NAME']}_roundtrip"[:63]
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}"')
            self._admin(f'CREATE DATABASE "{self.pg_name}"')
            auth = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
            self.url = f"postgresql://{auth}@{params['HOST']}:{params['PORT']}/{self.pg_name}"
        else:
            self.url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cellblock.settings",
            "CELLBLOCK_DATABASE_URL": self.url,
            "CELLBLOCK_MEDIA_ROOT": str(tmp_path / "roundtrip-media"),
            "CELLBLOCK_VAR_DIR": str(tmp_path),
        }
        self.run("migrate", "--noinput")

    def _admin(self, statement: str) -> None:
        import psycopg

        params = connection.settings_dict
        with psycopg.connect(
            dbname="postgres", user=params["USER"], password=params["PASSWORD"] or None,
            host=params["HOST"], port=params["PORT"], autocommit=True,
        ) as admin:  # fmt: skip
            admin.execute(statement)

    def run(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603  (our own manage.py, arguments from the test)
            [sys.executable, str(django_settings.PROJECT_DIR / "manage.py"), *args],
            env=self.env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def drop(self) -> None:
        if self.pg_name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@pytest.fixture
def fresh_database(tmp_path):
    database = FreshDatabase(tmp_path)
    yield database
    database.drop()


def records(directory: Path) -> dict[str, list[str]]:
    """Every record of an export as canonical text, sorted: what must survive a round trip."""
    return {
        name: sorted(json.dumps(r, sort_keys=True) for r in read(directory, name))
        for name in export.FILES
        if name != "audit_events.jsonl"
    }


def test_an_export_loaded_into_an_empty_database_exports_the_very_same_records(
    populated, tmp_path, fresh_database
):
    first = tmp_path / "first"
    run_export(first)
    loaded = fresh_database.run("import", "export", str(first))
    assert "Loaded facility TST" in loaded
    second = tmp_path / "second"
    fresh_database.run("export", "--facility", "TST", "--out", str(second))

    before, after = records(first), records(second)
    for name in before:
        assert after[name] == before[name], f"{name} differs after the round trip"
    # Not one file is empty: a field lost anywhere would show above.
    assert all(before[name] for name in before), [n for n in before if not before[n]]
    manifests = [json.loads((d / "manifest.json").read_text()) for d in (first, second)]
    photo_files = [
        {k: v for k, v in m["files"].items() if k.startswith("photos/")} for m in manifests
    ]
    assert photo_files[0] == photo_files[1]
    assert len(photo_files[0]) == 4
    counts = [{k: v for k, v in m["counts"].items() if k != "audit_events"} for m in manifests]
    assert counts[0] == counts[1]

    # The new database keeps its own chain: intact, and saying what was loaded.
    assert "audit chain OK" in fresh_database.run("audit", "verify")
    check = fresh_database.run(
        "shell", "-c",
        "import json;"
        "from cellblock.accounts.models import User;"
        "from cellblock.audit.models import AuditEvent;"
        "print(json.dumps({"
        "'usable': [u.username for u in User.objects.all() if u.has_usable_password()],"
        "'imports': list(AuditEvent.objects.filter(action='import.export')"
        ".values_list('changes__manifest_sha256', flat=True)),"
        "'bookings': AuditEvent.objects.filter(action='booking.import').count()}))",
    )  # fmt: skip
    state = json.loads(check.strip().splitlines()[-1])
    assert state["usable"] == []
    manifest_sha = hashlib.sha256((first / "manifest.json").read_bytes()).hexdigest()
    assert state["imports"] == [manifest_sha]
    assert state["bookings"] == 4


def test_every_reference_in_the_exported_models_has_a_natural_key():
    for entity in export.ENTITIES:
        for field in entity.fields():
            if field.is_relation:
                assert field.related_model in export.NATURAL_KEYS, (entity.name, field.name)
        assert not any(f.primary_key for f in entity.fields())


def test_exported_values_read_back_to_the_same_python_values():
    from decimal import Decimal

    from cellblock.booking.models import PropertyItem

    cash = PropertyItem._meta.get_field("cash_amount")
    assert export.decode(cash, export.encode(Decimal("12.50"))) == Decimal("12.50")
    public = PropertyItem._meta.get_field("public_id")
    key = uuid.uuid4()
    assert export.decode(public, export.encode(key)) == key
    recorded = PropertyItem._meta.get_field("recorded_at")
    with pytest.raises(ValueError, match="UTC offset"):
        export.decode(recorded, "2026-01-01T10:00:00")


def _loading(tmp_path, entity_name, records):
    """Load one file of a hand-made export, with the keys of the cells already here."""
    from cellblock.core.progress import silent
    from cellblock.facilities.models import Cell

    entity = export.ENTITY_BY_NAME[entity_name]
    (tmp_path / entity.file).write_text("".join(json.dumps(r) + "\n" for r in records))
    opened = export.OpenedExport(tmp_path, {"files": {}, "counts": {}}, "")
    keys = export._Keys()
    keys.learn(Cell, [str(c.public_id) for c in Cell.objects.all()])
    return export._load_entity(opened, entity, keys, silent("", 0))


def test_a_record_missing_a_column_or_carrying_an_unknown_one_is_refused(site, tmp_path):
    cell = str(site.cells[0].public_id)
    whole = {"cell": cell, "tag": "iron-door", "status": "working", "note": ""}
    with pytest.raises(ValidationFailed, match="line 1: the record lacks note"):
        _loading(tmp_path, "cell_features", [{k: v for k, v in whole.items() if k != "note"}])
    with pytest.raises(ValidationFailed, match="fields this version does not know: colour"):
        _loading(tmp_path, "cell_features", [{**whole, "colour": "red"}])
    with pytest.raises(ValidationFailed, match="status: Value 'broken' is not a valid choice"):
        _loading(tmp_path, "cell_features", [{**whole, "status": "broken"}])
    with pytest.raises(ValidationFailed, match="cell 0000 is not in the export"):
        _loading(tmp_path, "cell_features", [{**whole, "cell": "0000"}])
    [loaded] = _loading(tmp_path, "cell_features", [whole])
    assert loaded.cell == site.cells[0]


def _loading_records(tmp_path, entity_name, records, *models):
    """Load one hand-made file, with the keys of ``models`` already in the database."""
    from cellblock.core.progress import silent

    entity = export.ENTITY_BY_NAME[entity_name]
    (tmp_path / entity.file).write_text("".join(json.dumps(r) + "\n" for r in records))
    opened = export.OpenedExport(tmp_path, {"files": {}, "counts": {}}, "")
    keys = export._Keys()
    for model in models:
        key = export.NATURAL_KEYS[model]
        keys.learn(model, [str(v) for v in model.objects.values_list(key, flat=True)])
    return export._load_entity(opened, entity, keys, silent("", 0))


def _instrument_record(**changes):
    from cellblock.classification.instrument import NIC_CUSTODY_V1

    return {
        "public_id": str(uuid.uuid4()), "code": "nic-custody", "version": 1,
        "name": NIC_CUSTODY_V1["name"], "definition": NIC_CUSTODY_V1,
        "published_at": "2026-01-01T00:00:00+00:00", "published_by": None, "note": "", **changes,
    }  # fmt: skip


def test_an_instrument_version_already_here_is_referred_to_not_loaded_again(db, tmp_path):
    from cellblock.classification.instrument import NIC_CUSTODY_V1
    from cellblock.classification.models import Instrument
    from cellblock.classification.services import instrument_publish

    here = instrument_publish(actor=None, definition=NIC_CUSTODY_V1)
    [loaded] = _loading_records(tmp_path, "instruments", [_instrument_record()])
    assert loaded.pk == here.pk
    assert Instrument.objects.count() == 1


def test_an_instrument_version_here_with_another_definition_is_refused(db, tmp_path):
    from cellblock.classification.instrument import NIC_CUSTODY_V1
    from cellblock.classification.services import instrument_publish
    from cellblock.core.errors import Conflict

    instrument_publish(actor=None, definition=NIC_CUSTODY_V1)
    changed = {**NIC_CUSTODY_V1, "cut_points": {"minimum": 4, "medium": 10}}
    with pytest.raises(Conflict) as refused:
        _loading_records(tmp_path, "instruments", [_instrument_record(definition=changed)])
    assert refused.value.message == export.INSTRUMENT_DIFFERS.format(code="nic-custody", version=1)


def test_a_keep_separate_pair_loads_in_the_row_id_order_of_the_new_database(site, tmp_path):
    from cellblock.classification.models import SeparationOrder
    from cellblock.facilities.models import Agency

    lower = Person.objects.create(given_name="Lower", family_name="Row", created_at=NOW)
    higher = Person.objects.create(given_name="Higher", family_name="Row", created_at=NOW)
    assert lower.pk < higher.pk
    # As a file may have it: the person with the higher row id here comes first.
    record = {
        "public_id": str(uuid.uuid4()), "agency": "TEST", "person": str(higher.public_id),
        "other_person": str(lower.public_id), "group": None, "scope": "unit", "source": "staff",
        "reason": "rivals", "authorised_by": None, "starts_at": NOW.isoformat(),
        "expires_at": None, "recorded_at": NOW.isoformat(), "recorded_by": None,
        "ended_at": None, "ended_by": None, "end_reason": "",
    }  # fmt: skip
    [loaded] = _loading_records(tmp_path, "separation_orders", [record], Agency, Person)
    stored = SeparationOrder.objects.get(pk=loaded.pk)
    assert (stored.person_id, stored.other_person_id) == (lower.pk, higher.pk)
