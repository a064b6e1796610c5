"""The export format: every record of one facility as JSON Lines, and loading it back.

One file per kind of record (``bookings.jsonl`` ...), one JSON object per
line, every column of the model except the database row id.  A reference to
another record is that record's public id, booking number, username or code
(``NATURAL_KEYS``), so the files mean the same in any database.  Because the
columns are read from the models, a column added to a model is exported and
loaded without a change here, and a file that lacks a column or carries an
unknown one is refused.  docs/import-export.md describes the layout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from cellblock.accounts.models import Membership, User
from cellblock.audit.models import AuditEvent
from cellblock.booking.models import (
    Booking,
    BookingSequence,
    Charge,
    IntakeStep,
    PropertyItem,
)
from cellblock.classification.models import (
    Assessment,
    Flag,
    GroupMembership,
    Instrument,
    PreaScreening,
    ProtectiveOrder,
    ReviewTrigger,
    SecurityGroup,
    SeparationOrder,
    StaffConflict,
)
from cellblock.core import clock
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.core.progress import Tracker, TrackerFactory, silent
from cellblock.facilities.models import (
    Agency,
    Bed,
    Cell,
    CellFeature,
    Facility,
    FacilityPolicy,
    GuardPost,
    HousingUnit,
    Zone,
)
from cellblock.housing.models import BedAssignment, HousingReview
from cellblock.people.models import Person, PersonIdentifier, PersonPhoto

FORMAT = "cellblock-export"
VERSION = 1
MANIFEST = "manifest.json"
PHOTO_DIR = "photos"
STAFF = "staff"
AUDIT_EVENTS = "audit_events"

PROGRESS_WRITTEN = "files written"
PROGRESS_LOADED = "records loaded"

OUT_NOT_A_DIRECTORY = "{path} is a file, not a directory."
OUT_NOT_EMPTY = "{path} is not empty: choose an empty directory, or pass --force to write into it."
NOT_AN_EXPORT = "{path} is not a cellblock export: it has no readable manifest.json."
WRONG_FORMAT = "manifest.json says {found}; this version of cellblock reads {expected}."
FILE_MISSING = "{name} is listed in the manifest but missing from the export. Nothing was imported."
FILE_UNLISTED = "{name} is needed but the manifest does not list it. Nothing was imported."
UNSAFE_NAME = "the manifest names {name}, which is outside the export directory."
TAMPERED = (
    "{name}: its SHA-256 does not match the manifest; the export was changed or damaged "
    "after it was written. Nothing was imported."
)
PHOTO_MISMATCH = (
    "{name}: the image is not the one photo {photo} records (SHA-256 differs). "
    "Nothing was imported."
)
STORED_PHOTO_DAMAGED = (
    "The stored image {name} of photo {photo} no longer matches its SHA-256: restore it "
    "from a backup before exporting."
)
STORED_PHOTO_MISSING = (
    "The stored file {name} of photo {photo} is missing: restore it from a backup before exporting."
)
STORAGE_CONFLICT = (
    "{name} already exists in this storage with other contents. Nothing was imported."
)
ALREADY_HERE = (
    "This database already has {what} {values}: an export loads only into a database "
    "without them. Nothing was imported."
)
BAD_RECORD = "{file} line {line}: {problem}. Nothing was imported."
UNKNOWN_REFERENCE = "{field} {value} is not in the export"
MISSING_FIELDS = "the record lacks {fields}"
UNKNOWN_FIELDS = "the record has fields this version does not know: {fields}"
COUNT_MISMATCH = (
    "{name}: the export holds {found} records but the manifest counts {listed}. "
    "Nothing was imported."
)
REFUSED_BY_DATABASE = "{file}: the database refused the records ({error}). Nothing was imported."
INSTRUMENT_DIFFERS = (
    "This database already has instrument {code} version {version} with another definition; "
    "a published version never changes, so the export cannot refer to it. Nothing was imported."
)


# --- What is exported ----------------------------------------------------------

# How records of each model are referred to from other records.
NATURAL_KEYS: dict[type[models.Model], str] = {
    Agency: "code",
    Facility: "code",
    Zone: "public_id",
    HousingUnit: "public_id",
    Cell: "public_id",
    Bed: "public_id",
    User: "username",
    Person: "public_id",
    Booking: "booking_number",
    Instrument: "public_id",
    Assessment: "public_id",
    SecurityGroup: "public_id",
}


def _booked(facility: Facility) -> QuerySet[Booking]:
    return Booking.objects.filter(facility=facility)


def _people(facility: Facility) -> QuerySet[Person]:
    """People booked here, and the people their protective orders protect."""
    booked = _booked(facility).values("person_id")
    protected = ProtectiveOrder.objects.filter(
        agency_id=facility.agency_id, person_id__in=booked
    ).values("protected_person_id")
    return Person.objects.filter(Q(pk__in=booked) | Q(pk__in=protected))


def _separations(facility: Facility) -> QuerySet[SeparationOrder]:
    """Orders between people booked here (or one of them and a group) of this agency."""
    booked = _booked(facility).values("person_id")
    return SeparationOrder.objects.filter(
        agency_id=facility.agency_id, person_id__in=booked
    ).filter(Q(other_person__isnull=True) | Q(other_person_id__in=booked))


def _pair_in_public_id_order(record: dict[str, Any]) -> dict[str, Any]:
    """A keep-separate pair as written: its two people in the order of their public ids.

    The database stores a pair lower row id first (so "A from B" and "B from A"
    clash), and row ids differ between databases: the file uses an order of its
    own, and loading puts the pair back in row-id order (``_pair_in_row_id_order``).
    """
    other = record["other_person"]
    if other is not None and other < record["person"]:
        record["person"], record["other_person"] = other, record["person"]
    return record


def _pair_in_row_id_order(order: models.Model) -> None:
    if not isinstance(order, SeparationOrder) or order.other_person_id is None:
        return
    if order.other_person_id < order.person_id:
        order.person_id, order.other_person_id = order.other_person_id, order.person_id


def _same_instrument(obj: models.Model) -> models.Model | None:
    """The same instrument version already published in this database, if there is one.

    Instruments belong to the installation, not to a facility: a database that
    already has the version refers to its own row, and refuses a different
    definition under the same code and version.
    """
    if not isinstance(obj, Instrument):
        return None
    existing = Instrument.objects.filter(code=obj.code, version=obj.version).first()
    if existing is not None and existing.definition != obj.definition:
        raise Conflict(
            INSTRUMENT_DIFFERS.format(code=obj.code, version=obj.version),
            code="export_already_here",
        )
    return existing


@dataclass(frozen=True)
class Entity:
    """One file of the export: the records of one model that belong to the facility."""

    name: str
    model: type[models.Model]
    scope: Callable[[Facility], QuerySet[Any]]
    # The natural key, as lookups: orders the file and identifies a record.
    key: tuple[str, ...]
    # Columns that must not exist yet in the database an export is loaded into.
    unique: tuple[str, ...] = ()
    # A record as written (row-id-free), and as loaded (before it is stored).
    written: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    loading: Callable[[models.Model], None] | None = None
    # An installation-wide record that may already be here: the existing row, or None.
    shared: Callable[[models.Model], models.Model | None] | None = None

    @property
    def file(self) -> str:
        return f"{self.name}.jsonl"

    def fields(self) -> list[models.Field[Any, Any]]:
        return [f for f in self.model._meta.concrete_fields if not f.primary_key]


# In the order they load: everything a record refers to comes before it.
ENTITIES: tuple[Entity, ...] = (
    Entity("agency", Agency, lambda f: Agency.objects.filter(pk=f.agency_id),
           ("code",), ("public_id", "code")),
    Entity("facility", Facility, lambda f: Facility.objects.filter(pk=f.pk),
           ("code",), ("public_id", "code")),
    Entity("policy", FacilityPolicy, lambda f: FacilityPolicy.objects.filter(facility=f),
           ("facility__code",)),
    Entity("zones", Zone, lambda f: Zone.objects.filter(facility=f),
           ("public_id",), ("public_id",)),
    Entity("units", HousingUnit, lambda f: HousingUnit.objects.filter(zone__facility=f),
           ("public_id",), ("public_id",)),
    Entity("cells", Cell, lambda f: Cell.objects.filter(unit__zone__facility=f),
           ("public_id",), ("public_id",)),
    Entity("cell_features", CellFeature,
           lambda f: CellFeature.objects.filter(cell__unit__zone__facility=f),
           ("cell__public_id", "tag")),
    Entity("beds", Bed, lambda f: Bed.objects.filter(cell__unit__zone__facility=f),
           ("public_id",), ("public_id",)),
    Entity("posts", GuardPost, lambda f: GuardPost.objects.filter(facility=f),
           ("public_id",), ("public_id",)),
    Entity("people", Person, _people, ("public_id",), ("public_id",)),
    Entity("identifiers", PersonIdentifier,
           lambda f: PersonIdentifier.objects.filter(person__in=_people(f)),
           ("person__public_id", "kind", "value")),
    Entity("bookings", Booking, lambda f: Booking.objects.filter(facility=f),
           ("booking_number",), ("public_id", "booking_number")),
    Entity("booking_sequences", BookingSequence,
           lambda f: BookingSequence.objects.filter(facility=f), ("facility__code", "year")),
    Entity("charges", Charge, lambda f: Charge.objects.filter(booking__facility=f),
           ("public_id",), ("public_id",)),
    Entity("intake_steps", IntakeStep, lambda f: IntakeStep.objects.filter(booking__facility=f),
           ("booking__booking_number", "step")),
    Entity("property_items", PropertyItem,
           lambda f: PropertyItem.objects.filter(booking__facility=f),
           ("public_id",), ("public_id",)),
    # A person's photos taken here or at no facility; those of a booking elsewhere stay there.
    Entity("photos", PersonPhoto,
           lambda f: PersonPhoto.objects.filter(person__in=_people(f)).filter(
               Q(booking__isnull=True) | Q(booking__facility=f)),
           ("public_id",), ("public_id",)),
    Entity("bed_assignments", BedAssignment,
           lambda f: BedAssignment.objects.filter(booking__facility=f),
           ("public_id",), ("public_id",)),
    Entity("flags", Flag, lambda f: Flag.objects.filter(booking__facility=f),
           ("public_id",), ("public_id",)),
    Entity("instruments", Instrument,
           lambda f: Instrument.objects.filter(
               pk__in=Assessment.objects.filter(booking__facility=f).values("instrument_id")),
           ("public_id",), ("public_id",), shared=_same_instrument),
    Entity("assessments", Assessment, lambda f: Assessment.objects.filter(booking__facility=f),
           ("public_id",), ("public_id",)),
    Entity("review_triggers", ReviewTrigger,
           lambda f: ReviewTrigger.objects.filter(booking__facility=f),
           ("public_id",), ("public_id",)),
    Entity("prea_screenings", PreaScreening,
           lambda f: PreaScreening.objects.filter(booking__facility=f),
           ("public_id",), ("public_id",)),
    Entity("security_groups", SecurityGroup,
           lambda f: SecurityGroup.objects.filter(agency_id=f.agency_id),
           ("public_id",), ("public_id",)),
    Entity("group_memberships", GroupMembership,
           lambda f: GroupMembership.objects.filter(person__in=_people(f),
                                                    group__agency_id=f.agency_id),
           ("public_id",), ("public_id",)),
    Entity("separation_orders", SeparationOrder, _separations, ("public_id",), ("public_id",),
           written=_pair_in_public_id_order, loading=_pair_in_row_id_order),
    Entity("protective_orders", ProtectiveOrder,
           lambda f: ProtectiveOrder.objects.filter(
               agency_id=f.agency_id, person_id__in=_booked(f).values("person_id")),
           ("public_id",), ("public_id",)),
    Entity("staff_conflicts", StaffConflict,
           lambda f: StaffConflict.objects.filter(
               agency_id=f.agency_id, person_id__in=_booked(f).values("person_id")),
           ("public_id",), ("public_id",)),
    Entity("housing_reviews", HousingReview,
           lambda f: HousingReview.objects.filter(booking__facility=f),
           ("public_id",), ("public_id",)),
)  # fmt: skip
ENTITY_BY_NAME = {entity.name: entity for entity in ENTITIES}

# Staff: who they are and their roles here.  Never passwords, tokens or admin rights.
STAFF_FIELDS = (
    "public_id", "username", "full_name", "first_name", "last_name", "email", "is_active",
    "date_joined",
)  # fmt: skip
# The audit events of the facility, for its archive (never replayed).  ``actor_id``
# and ``facility_id`` are the origin database's row ids: they are part of what
# each event's hash covers, so they are kept to let anyone recompute it.
AUDIT_FIELDS = (
    "seq", "occurred_at", "actor_id", "actor_username", "actor_roles", "action", "object_type",
    "object_id", "object_label", "facility_id", "outcome", "reason", "request_id", "changes",
    "prev_hash", "entry_hash",
)  # fmt: skip

FILES = (*(entity.file for entity in ENTITIES), f"{STAFF}.jsonl", f"{AUDIT_EVENTS}.jsonl")


# --- Values --------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A column's value as JSON: instants in UTC with microseconds, decimals as text."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def decode(model_field: models.Field[Any, Any], value: Any) -> Any:
    """The Python value of ``value`` for ``model_field`` (the inverse of ``encode``)."""
    if value is None:
        return None
    try:
        if isinstance(model_field, models.DateTimeField):
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError("a time without its UTC offset")
            return moment
        if isinstance(model_field, models.DateField):
            return dt.date.fromisoformat(value)
        if isinstance(model_field, models.UUIDField):
            return uuid.UUID(value)
        if isinstance(model_field, models.DecimalField):
            return Decimal(value)
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise ValueError(f"{model_field.name} {value!r} cannot be read: {exc}") from None
    return value


def _column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    column = model._meta.get_field(name)
    if not isinstance(column, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column.")
    return column


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --- Writing -------------------------------------------------------------------


@dataclass
class ExportResult:
    directory: Path
    counts: dict[str, int]
    manifest_sha256: str


class _HashingWriter:
    """Writes a file and keeps the SHA-256 of what was written."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle: IO[bytes] = path.open("wb")
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)

    def close(self) -> str:
        self.handle.close()
        return self.digest.hexdigest()


def _rows(entity: Entity, facility: Facility) -> Iterator[dict[str, Any]]:
    """The entity's records as JSON-ready dicts, references by natural key."""
    lookups: dict[str, str] = {}
    for model_field in entity.fields():
        if model_field.is_relation:
            target = model_field.related_model
            lookups[model_field.name] = f"{model_field.name}__{NATURAL_KEYS[target]}"  # type: ignore[index]
        else:
            lookups[model_field.name] = model_field.attname
    queryset = entity.scope(facility).order_by(*entity.key).values(*lookups.values())
    for row in queryset.iterator(chunk_size=2000):
        record = {name: encode(row[lookup]) for name, lookup in lookups.items()}
        yield entity.written(record) if entity.written else record


def write_export(
    facility: Facility,
    out_dir: Path,
    *,
    force: bool = False,
    exported_by: User | None = None,
    progress: TrackerFactory = silent,
) -> ExportResult:
    """Write the export of ``facility`` into ``out_dir`` (see docs/import-export.md)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise Conflict(OUT_NOT_A_DIRECTORY.format(path=out_dir), code="export_dir_not_empty")
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise Conflict(OUT_NOT_EMPTY.format(path=out_dir), code="export_dir_not_empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    exported_at = clock.now()
    hashes: dict[str, str] = {}
    counts: dict[str, int] = {}
    tracker = progress(PROGRESS_WRITTEN, len(FILES))
    with _snapshot():
        users: set[str] = set()
        for entity in ENTITIES:
            writer = _HashingWriter(out_dir / entity.file)
            count = 0
            photos: list[dict[str, Any]] = []
            user_fields = [f.name for f in entity.fields() if f.related_model is User]
            for record in _rows(entity, facility):
                writer.write((_dumps(record) + "\n").encode())
                count += 1
                users.update(record[name] for name in user_fields if record[name])
                if entity.model is PersonPhoto:
                    photos.append(record)
            hashes[entity.file] = writer.close()
            counts[entity.name] = count
            for record in photos:
                hashes.update(_copy_photo_files(record, out_dir))
            tracker.advance()
        hashes[f"{STAFF}.jsonl"], counts[STAFF] = _write_staff(facility, users, out_dir)
        tracker.advance()
        hashes[f"{AUDIT_EVENTS}.jsonl"], counts[AUDIT_EVENTS] = _write_audit(facility, out_dir)
        tracker.advance()
    tracker.close()
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "facility": facility.code,
        "exported_at": encode(exported_at),
        "exported_by": exported_by.username if exported_by is not None else None,
        "counts": counts,
        "files": dict(sorted(hashes.items())),
    }
    data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    (out_dir / MANIFEST).write_bytes(data)
    return ExportResult(out_dir, counts, hashlib.sha256(data).hexdigest())


@contextmanager
def _snapshot() -> Iterator[None]:
    """One read transaction for the whole export, so the files agree with each other.

    On PostgreSQL the transaction is REPEATABLE READ and read-only: a snapshot
    that blocks no one.  On SQLite the transaction holds the write lock, so
    writes wait until the export has been read.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _photo_file_names(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(storage name, name in the export) of a photo's image and thumbnail."""
    return [
        (record[name], f"{PHOTO_DIR}/{PurePosixPath(record[name]).name}")
        for name in ("image", "thumbnail")
    ]


def _copy_photo_files(record: dict[str, Any], out_dir: Path) -> dict[str, str]:
    hashes = {}
    for stored, exported in _photo_file_names(record):
        try:
            with default_storage.open(stored, "rb") as source:
                content = source.read()
        except OSError:
            raise ValidationFailed(
                STORED_PHOTO_MISSING.format(name=stored, photo=record["public_id"]),
                code="photo_missing",
            ) from None
        if stored == record["image"] and hashlib.sha256(content).hexdigest() != record["sha256"]:
            raise ValidationFailed(
                STORED_PHOTO_DAMAGED.format(name=stored, photo=record["public_id"]),
                code="photo_damaged",
            )
        target = out_dir / exported
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        hashes[exported] = hashlib.sha256(content).hexdigest()
    return hashes


def _write_staff(facility: Facility, usernames: set[str], out_dir: Path) -> tuple[str, int]:
    """Everyone who holds or held a role here, and anyone a record names."""
    users = (
        User.objects.filter(Q(memberships__facility=facility) | Q(username__in=usernames))
        .distinct()
        .order_by("username")
    )
    memberships: dict[int, list[Membership]] = {}
    for membership in Membership.objects.filter(facility=facility).order_by("role"):
        memberships.setdefault(membership.user_id, []).append(membership)
    writer = _HashingWriter(out_dir / f"{STAFF}.jsonl")
    count = 0
    for user in users:
        held = memberships.get(user.pk, [])
        record = {name: encode(getattr(user, name)) for name in STAFF_FIELDS}
        record["roles"] = [m.role for m in held if m.active]
        record["memberships"] = [
            {"role": m.role, "active": m.active, "granted_at": encode(m.granted_at)} for m in held
        ]
        writer.write((_dumps(record) + "\n").encode())
        count += 1
    return writer.close(), count


def _write_audit(facility: Facility, out_dir: Path) -> tuple[str, int]:
    writer = _HashingWriter(out_dir / f"{AUDIT_EVENTS}.jsonl")
    count = 0
    events = AuditEvent.objects.filter(facility=facility).order_by("seq").values(*AUDIT_FIELDS)
    for event in events.iterator(chunk_size=2000):
        writer.write((_dumps({k: encode(v) for k, v in event.items()}) + "\n").encode())
        count += 1
    return writer.close(), count


# --- Reading ---------------------------------------------------------------------


@dataclass
class OpenedExport:
    """An export whose every file matched the manifest when it was opened."""

    directory: Path
    manifest: dict[str, Any]
    manifest_sha256: str

    def path(self, name: str) -> Path:
        return self.directory / name


def open_export(directory: Path) -> OpenedExport:
    """Read the manifest and check every file against it before anything is loaded."""
    try:
        data = (directory / MANIFEST).read_bytes()
        manifest = json.loads(data)
    except (OSError, ValueError):
        raise ValidationFailed(NOT_AN_EXPORT.format(path=directory), code="not_an_export") from None
    if not isinstance(manifest, dict) or not all(
        isinstance(manifest.get(part), dict) for part in ("files", "counts")
    ):
        raise ValidationFailed(NOT_AN_EXPORT.format(path=directory), code="not_an_export")
    found = (manifest.get("format"), manifest.get("version"))
    if found != (FORMAT, VERSION):
        raise ValidationFailed(
            WRONG_FORMAT.format(found=f"{found[0]} {found[1]}", expected=f"{FORMAT} {VERSION}"),
            code="export_version",
        )
    files: dict[str, str] = manifest["files"]
    for name in FILES:
        if name not in files:
            raise ValidationFailed(FILE_UNLISTED.format(name=name), code="export_incomplete")
    root = directory.resolve()
    for name, expected in sorted(files.items()):
        path = (directory / name).resolve()
        if not path.is_relative_to(root):
            raise ValidationFailed(UNSAFE_NAME.format(name=name), code="export_unsafe")
        if not path.is_file():
            raise ValidationFailed(FILE_MISSING.format(name=name), code="export_incomplete")
        if _file_sha256(path) != expected:
            raise ValidationFailed(TAMPERED.format(name=name), code="export_tampered")
    return OpenedExport(directory, manifest, hashlib.sha256(data).hexdigest())


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _records(export: OpenedExport, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with export.path(name).open("rb") as handle:
        for line, data in enumerate(handle, start=1):
            if not data.strip():
                continue
            try:
                record = json.loads(data.decode("utf-8"))
            except ValueError as exc:  # UnicodeDecodeError is one
                raise _bad(name, line, f"not JSON ({exc})") from None
            if not isinstance(record, dict):
                raise _bad(name, line, "not a JSON object")
            yield line, record


def _bad(file: str, line: int, problem: str) -> ValidationFailed:
    return ValidationFailed(
        BAD_RECORD.format(file=file, line=line, problem=problem), code="export_bad_record"
    )


@dataclass
class LoadedExport:
    facility: Facility
    counts: dict[str, int]
    # Records that get an audit event of their own: kind -> [(record, changes)].
    audited: dict[str, list[tuple[models.Model, dict[str, Any]]]] = field(default_factory=dict)


class _Keys:
    """Natural key -> row id of the records loaded so far, per model."""

    def __init__(self) -> None:
        self._ids: dict[type[models.Model], dict[str, int]] = {}

    def learn(self, model: type[models.Model], values: Iterable[str]) -> None:
        key = NATURAL_KEYS[model]
        wanted = list(values)
        known = self._ids.setdefault(model, {})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for value, pk in model._default_manager.filter(**{f"{key}__in": chunk}).values_list(
                key, "pk"
            ):
                known[str(value)] = pk

    def alias(self, model: type[models.Model], value: str, pk: int) -> None:
        """Refer to ``value`` as the row ``pk`` already in this database (a shared record)."""
        self._ids.setdefault(model, {})[str(value)] = pk

    def id_of(self, model: type[models.Model], value: str) -> int | None:
        return self._ids.get(model, {}).get(str(value))


def load_export(export: OpenedExport, *, progress: TrackerFactory = silent) -> LoadedExport:
    """Create every record of ``export``; call inside ``transaction.atomic()``."""
    counts = export.manifest.get("counts", {})
    total = sum(
        value for name, value in counts.items() if name != AUDIT_EVENTS and isinstance(value, int)
    )
    tracker = progress(PROGRESS_LOADED, total)
    keys = _Keys()
    audited: dict[str, list[tuple[models.Model, dict[str, Any]]]] = {}
    loaded: dict[str, int] = {}
    _load_staff(export, keys, audited, tracker, loaded)
    facility: Facility | None = None
    for entity in ENTITIES:
        objects = _load_entity(export, entity, keys, tracker)
        loaded[entity.name] = len(objects)
        if entity.model in (Agency, Facility) and len(objects) != 1:
            raise _bad(entity.file, 1, f"it holds {len(objects)} records instead of one")
        if entity.model is Facility:
            facility = Facility.objects.get(code=objects[0].code)  # type: ignore[attr-defined]
            if facility.code != export.manifest.get("facility"):
                raise _bad(entity.file, 1, "it is not the facility the manifest names")
            # Memberships wait for their facility.
            _load_memberships(export, keys, facility)
        if entity.model is PersonPhoto:
            for photo in objects:
                _restore_photo(export, photo)  # type: ignore[arg-type]
        if entity.model is Person:
            audited["person"] = [
                (p, {"given_name": p.given_name, "family_name": p.family_name})  # type: ignore[attr-defined]
                for p in objects
            ]
        if entity.model is Booking:
            audited["booking"] = [
                (b, {"booking_number": b.booking_number, "status": b.status})  # type: ignore[attr-defined]
                for b in objects
            ]
    tracker.close()
    for name, count in loaded.items():
        if counts.get(name) != count:
            raise ValidationFailed(
                COUNT_MISMATCH.format(name=name, found=count, listed=counts.get(name)),
                code="export_bad_record",
            )
    if facility is None:
        raise ValidationFailed(
            BAD_RECORD.format(file="facility.jsonl", line=1, problem="no facility"),
            code="export_bad_record",
        )
    audited["facility"] = [(facility, {"code": facility.code, **_structure_counts(loaded)})]
    return LoadedExport(facility=facility, counts=loaded, audited=audited)


def _structure_counts(loaded: dict[str, int]) -> dict[str, int]:
    return {name: loaded.get(name, 0) for name in ("zones", "units", "cells", "beds", "posts")}


def _load_entity(
    export: OpenedExport, entity: Entity, keys: _Keys, tracker: Tracker
) -> list[models.Model]:
    fields = entity.fields()
    names = {f.name for f in fields}
    relations = [f for f in fields if f.is_relation]
    objects: list[models.Model] = []
    for line, record in _records(export, entity.file):
        missing, unknown = names - record.keys(), record.keys() - names
        if missing:
            raise _bad(entity.file, line, MISSING_FIELDS.format(fields=", ".join(sorted(missing))))
        if unknown:
            raise _bad(entity.file, line, UNKNOWN_FIELDS.format(fields=", ".join(sorted(unknown))))
        values: dict[str, Any] = {}
        for model_field in fields:
            raw = record[model_field.name]
            if model_field.is_relation:
                values[model_field.attname] = _reference(keys, model_field, raw, entity.file, line)
                continue
            try:
                values[model_field.attname] = decode(model_field, raw)
            except ValueError as exc:
                raise _bad(entity.file, line, str(exc)) from None
        obj = entity.model(**values)
        if entity.loading is not None:
            entity.loading(obj)
        problems = _column_problems(obj, skip={f.name for f in relations})
        if problems:
            raise _bad(entity.file, line, problems)
        objects.append(obj)
        tracker.advance()
    # Shared records already here are referred to, not created again.
    existing: dict[int, models.Model] = {}
    if entity.shared is not None:
        for obj in objects:
            if (here := entity.shared(obj)) is not None:
                existing[id(obj)] = here
    new = [obj for obj in objects if id(obj) not in existing]
    _refuse_existing(entity, new)
    try:
        with transaction.atomic():
            entity.model._default_manager.bulk_create(new, batch_size=500)
    except IntegrityError as exc:
        raise Conflict(
            REFUSED_BY_DATABASE.format(file=entity.file, error=exc), code="export_refused"
        ) from None
    if entity.model in NATURAL_KEYS:
        key = NATURAL_KEYS[entity.model]
        keys.learn(entity.model, (str(getattr(obj, key)) for obj in new))
        for obj in objects:
            if id(obj) in existing:
                keys.alias(entity.model, str(getattr(obj, key)), existing[id(obj)].pk)
        # bulk_create does not hand back row ids on every database: read them back.
        ids = {k: keys.id_of(entity.model, k) for k in (str(getattr(o, key)) for o in objects)}
        for obj in objects:
            obj.pk = ids[str(getattr(obj, key))]
    return objects


def _column_problems(obj: models.Model, *, skip: set[str]) -> str:
    """What is wrong with the columns of ``obj``: types, lengths and choices.

    Empty values are left to the database: a form field's ``blank=False`` is
    stricter than the table (a person may have a given name and no family
    name, which a check constraint allows), and the database refuses a missing
    value where a column really needs one.
    """
    problems: list[str] = []
    for column in obj._meta.concrete_fields:
        if column.name in skip or column.primary_key:
            continue
        value = getattr(obj, column.attname)
        if value is None and not column.null:
            problems.append(f"{column.name}: is required")
            continue
        if value in column.empty_values:
            continue
        try:
            setattr(obj, column.attname, column.clean(value, obj))
        except DjangoValidationError as exc:
            problems.append(f"{column.name}: {' '.join(exc.messages)}")
    return "; ".join(problems)


def _reference(
    keys: _Keys, model_field: models.Field[Any, Any], raw: Any, file: str, line: int
) -> int | None:
    if raw is None:
        if not model_field.null:
            raise _bad(file, line, f"{model_field.name} is required")
        return None
    target: type[models.Model] = model_field.related_model  # type: ignore[assignment]
    pk = keys.id_of(target, raw)
    if pk is None:
        raise _bad(file, line, UNKNOWN_REFERENCE.format(field=model_field.name, value=raw))
    return pk


def _refuse_existing(entity: Entity, objects: list[models.Model]) -> None:
    """An export adds a facility; it never overwrites or merges into records already here."""
    manager = entity.model._default_manager
    for name in entity.unique:
        values = [getattr(obj, name) for obj in objects]
        for start in range(0, len(values), 500):
            clash = list(
                manager.filter(**{f"{name}__in": values[start : start + 500]}).values_list(
                    name, flat=True
                )[:5]
            )
            if clash:
                what = f"{entity.model._meta.verbose_name} {name.replace('_', ' ')}"
                raise Conflict(
                    ALREADY_HERE.format(what=what, values=", ".join(str(v) for v in clash)),
                    code="export_already_here",
                )


def _load_staff(
    export: OpenedExport,
    keys: _Keys,
    audited: dict[str, list[tuple[models.Model, dict[str, Any]]]],
    tracker: Tracker,
    loaded: dict[str, int],
) -> None:
    name = f"{STAFF}.jsonl"
    expected = {*STAFF_FIELDS, "roles", "memberships"}
    users: list[User] = []
    for line, record in _records(export, name):
        missing, unknown = expected - record.keys(), record.keys() - expected
        if missing or unknown:
            problem = (
                MISSING_FIELDS.format(fields=", ".join(sorted(missing)))
                if missing
                else UNKNOWN_FIELDS.format(fields=", ".join(sorted(unknown)))
            )
            raise _bad(name, line, problem)
        try:
            values = {
                field_name: decode(_column(User, field_name), record[field_name])
                for field_name in STAFF_FIELDS
            }
        except ValueError as exc:
            raise _bad(name, line, str(exc)) from None
        user = User(**values)
        # Passwords never leave a system: an administrator sets new ones here.
        user.set_unusable_password()
        problems = _column_problems(user, skip={"password"})
        if problems:
            raise _bad(name, line, problems)
        users.append(user)
        tracker.advance()
    lowered = [u.username.lower() for u in users]
    clash = list(
        User.objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=lowered)
        .values_list("username", flat=True)[:5]
    )
    if clash:
        raise Conflict(
            ALREADY_HERE.format(what="user names", values=", ".join(clash)),
            code="export_already_here",
        )
    clash = [
        str(v)
        for v in User.objects.filter(public_id__in=[u.public_id for u in users]).values_list(
            "public_id", flat=True
        )[:5]
    ]
    if clash:
        raise Conflict(
            ALREADY_HERE.format(what="user public ids", values=", ".join(clash)),
            code="export_already_here",
        )
    User.objects.bulk_create(users, batch_size=500)
    keys.learn(User, (u.username for u in users))
    for user in users:
        user.pk = keys.id_of(User, user.username)
    audited["user"] = [(u, {"username": u.username}) for u in users]
    loaded[STAFF] = len(users)


def _load_memberships(export: OpenedExport, keys: _Keys, facility: Facility) -> None:
    name = f"{STAFF}.jsonl"
    memberships = []
    for line, record in _records(export, name):
        user_id = keys.id_of(User, record["username"])
        if user_id is None:
            raise _bad(
                name, line, UNKNOWN_REFERENCE.format(field="username", value=record["username"])
            )
        for held in record["memberships"]:
            try:
                membership = Membership(
                    user_id=user_id, facility=facility, role=held["role"],
                    active=held["active"], granted_at=decode(
                        _column(Membership, "granted_at"), held["granted_at"]
                    ),
                )  # fmt: skip
            except (KeyError, TypeError, ValueError) as exc:
                raise _bad(name, line, f"a membership cannot be read: {exc}") from None
            problems = _column_problems(membership, skip={"user", "facility"})
            if problems:
                raise _bad(name, line, f"a membership cannot be read: {problems}")
            memberships.append(membership)
        if sorted(record["roles"]) != sorted(
            m["role"] for m in record["memberships"] if m["active"]
        ):
            raise _bad(name, line, "roles and memberships disagree")
    Membership.objects.bulk_create(memberships, batch_size=500)


def _restore_photo(export: OpenedExport, photo: PersonPhoto) -> None:
    """Put the photo's files back in storage under their own names, after checking them."""
    record = {"image": photo.image.name, "thumbnail": photo.thumbnail.name}
    for stored, exported in _photo_file_names(record):
        if exported not in export.manifest["files"]:
            raise ValidationFailed(FILE_UNLISTED.format(name=exported), code="export_incomplete")
        content = export.path(exported).read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        # Checked again now: the file could have changed since the export was opened.
        if digest != export.manifest["files"][exported]:
            raise ValidationFailed(TAMPERED.format(name=exported), code="export_tampered")
        if stored == photo.image.name and digest != photo.sha256:
            raise ValidationFailed(
                PHOTO_MISMATCH.format(name=exported, photo=photo.public_id), code="export_tampered"
            )
        if default_storage.exists(stored):
            with default_storage.open(stored, "rb") as existing:
                if hashlib.sha256(existing.read()).hexdigest() != digest:
                    raise Conflict(STORAGE_CONFLICT.format(name=stored), code="storage_conflict")
            continue
        saved = default_storage.save(stored, ContentFile(content))
        if saved != stored:
            raise Conflict(STORAGE_CONFLICT.format(name=stored), code="storage_conflict")
