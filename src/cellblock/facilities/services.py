"""Writes on the facility structure.  Each one validates, writes, audits, returns."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.core.errors import (
    Conflict,
    PermissionDenied,
    ValidationFailed,
    field_errors_from_django,
)
from cellblock.core.roles import Perm
from cellblock.facilities import hooks
from cellblock.facilities.models import (
    Agency,
    Bed,
    Cell,
    CellFeature,
    Facility,
    FacilityPolicy,
    FeatureStatus,
    GuardPost,
    HousingUnit,
    Zone,
)

CONFIGURE_DENIED = "Changing the structure of {facility} needs the administrator or commander role."


def _require_configure(actor: User | None, facility: Facility) -> None:
    # actor None is the system itself (demo loader, initial set-up).
    if actor is not None and Perm.FACILITY_CONFIGURE not in actor.perms_at(facility.pk):
        raise PermissionDenied(CONFIGURE_DENIED.format(facility=facility.name), code="missing_role")


CELL_STATE_DENIED = (
    "Changing the state of a cell at {facility} needs an officer, a supervisor, an "
    "administrator or the commander."
)


def _require_cell_state(actor: User | None, facility: Facility) -> None:
    """Damaged bars, a flooded cell or a light fitted are reported on shift, by those on it."""
    if actor is None:
        return
    allowed = {Perm.FACILITY_CONFIGURE, Perm.HOUSING_APPROVE, Perm.CELL_CONDITION_REPORT}
    if not allowed & actor.perms_at(facility.pk):
        raise PermissionDenied(
            CELL_STATE_DENIED.format(facility=facility.name), code="missing_role"
        )


def _validated(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's field and constraint validation and name every bad field."""
    try:
        obj.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        raise ValidationFailed.for_fields(field_errors_from_django(exc)) from None


def _field_values(obj: models.Model, names: list[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def agency_create(*, actor: User | None, code: str, name: str) -> Agency:
    agency = Agency(code=code, name=name)
    _validated(agency)
    with transaction.atomic():
        agency.save()
        audit_record(
            actor=actor, action="agency.create", obj=agency, changes={"code": code, "name": name}
        )
    return agency


def facility_create(
    *,
    actor: User | None,
    agency: Agency,
    code: str,
    name: str,
    timezone: str = "UTC",
    serves_adults: bool = True,
    policy: dict[str, Any] | None = None,
) -> Facility:
    """Create a facility with its policy (defaults, overridden by ``policy``)."""
    from zoneinfo import available_timezones

    facility = Facility(
        agency=agency, code=code, name=name, timezone=timezone, serves_adults=serves_adults
    )
    _validated(facility)
    if timezone not in available_timezones():
        raise ValidationFailed.for_fields({"timezone": [f"'{timezone}' is not a known time zone."]})
    settings = {f.name for f in FacilityPolicy._meta.fields} - {"id", "facility"}
    unknown = sorted(set(policy or {}) - settings)
    if unknown:
        raise ValidationFailed.for_fields(
            {"policy": [f"'{name}' is not a policy setting." for name in unknown]}
        )
    with transaction.atomic():
        facility.save()
        policy_record = FacilityPolicy(facility=facility, **(policy or {}))
        _validated(policy_record)
        policy_record.save()
        audit_record(
            actor=actor,
            action="facility.create",
            obj=facility,
            facility=facility,
            changes={"code": code, "name": name, "timezone": timezone, "policy": policy or {}},
        )
    return facility


def facility_policy_update(
    *, actor: User | None, facility: Facility, **values: Any
) -> FacilityPolicy:
    _require_configure(actor, facility)
    with transaction.atomic():
        policy = FacilityPolicy.objects.select_for_update().get(facility=facility)
        unknown = [
            name for name in values if name not in {f.name for f in FacilityPolicy._meta.fields}
        ]
        if unknown:
            raise ValidationFailed.for_fields(
                {name: ["is not a policy setting."] for name in unknown}
            )
        before = _field_values(policy, list(values))
        for name, value in values.items():
            setattr(policy, name, value)
        _validated(policy)
        policy.save(update_fields=list(values))
        changed = {
            name: [before[name], value] for name, value in values.items() if before[name] != value
        }
        audit_record(
            actor=actor, action="policy.update", obj=facility, facility=facility, changes=changed
        )
    return policy


def zone_create(
    *, actor: User | None, facility: Facility, code: str, name: str, restricted: bool = False,
    description: str = "",
) -> Zone:  # fmt: skip
    _require_configure(actor, facility)
    zone = Zone(
        facility=facility, code=code, name=name, restricted=restricted, description=description
    )
    _validated(zone)
    with transaction.atomic():
        zone.save()
        audit_record(
            actor=actor, action="zone.create", obj=zone, facility=facility,
            changes={"code": code, "name": name, "restricted": restricted},
        )  # fmt: skip
    return zone


def unit_create(
    *,
    actor: User | None,
    zone: Zone,
    code: str,
    name: str,
    security_rating: str = "medium",
    sex_served: str = "any",
    age_group: str = "adult",
    restrictive_housing: bool = False,
    minutes_to_medical: int = 0,
) -> HousingUnit:
    facility = zone.facility
    _require_configure(actor, facility)
    unit = HousingUnit(
        zone=zone, code=code, name=name, security_rating=security_rating,
        sex_served=sex_served, age_group=age_group, restrictive_housing=restrictive_housing,
        minutes_to_medical=minutes_to_medical,
    )  # fmt: skip
    _validated(unit)
    with transaction.atomic():
        unit.save()
        audit_record(
            actor=actor, action="unit.create", obj=unit, facility=facility,
            changes={
                "code": code, "name": name, "security_rating": security_rating,
                "sex_served": sex_served, "age_group": age_group,
                "restrictive_housing": restrictive_housing,
                "minutes_to_medical": minutes_to_medical,
            },
        )  # fmt: skip
    return unit


def cell_create(
    *,
    actor: User | None,
    unit: HousingUnit,
    code: str,
    name: str = "",
    beds: int = 1,
    features: list[str] | None = None,
) -> Cell:
    """Create a cell with ``beds`` beds (B1, B2, ...) and its feature tags."""
    facility = unit.zone.facility
    _require_configure(actor, facility)
    if beds < 1 or beds > 64:
        raise ValidationFailed.for_fields({"beds": ["must be between 1 and 64."]})
    cell = Cell(unit=unit, code=code, name=name)
    _validated(cell)
    tags = sorted(set(features or []))
    for tag in tags:
        _validated(CellFeature(cell=cell, tag=tag), exclude=["cell"])
    with transaction.atomic():
        cell.save()
        for number in range(1, beds + 1):
            Bed.objects.create(cell=cell, code=f"B{number}", lower_bunk=number == 1)
        CellFeature.objects.bulk_create([CellFeature(cell=cell, tag=tag) for tag in tags])
        audit_record(
            actor=actor, action="cell.create", obj=cell, facility=facility,
            changes={"code": code, "unit": unit.code, "beds": beds, "features": tags},
        )  # fmt: skip
    return cell


def cell_feature_set(
    *, actor: User | None, cell: Cell, tag: str, status: str = FeatureStatus.WORKING, note: str = ""
) -> CellFeature:
    """Add a feature to a cell, or change its status (e.g. bars marked compromised)."""
    facility = cell.unit.zone.facility
    _require_cell_state(actor, facility)
    with transaction.atomic():
        feature = CellFeature.objects.select_for_update().filter(cell=cell, tag=tag).first()
        before = {"status": feature.status, "note": feature.note} if feature else {}
        feature = feature or CellFeature(cell=cell, tag=tag)
        feature.status = status
        feature.note = note
        _validated(feature)
        feature.save()
        audit_record(
            actor=actor, action="cell.feature_set", obj=cell, facility=facility,
            changes={"tag": tag, "status": [before.get("status"), status], "note": note},
        )  # fmt: skip
        hooks.cell_changed(actor=actor, cell=cell, cause=f"{cell}: {tag} {status}")
    return feature


def cell_feature_remove(*, actor: User | None, cell: Cell, tag: str, reason: str) -> None:
    """Remove a feature the cell no longer has (the light was taken out)."""
    facility = cell.unit.zone.facility
    _require_configure(actor, facility)
    with transaction.atomic():
        deleted, _ = CellFeature.objects.filter(cell=cell, tag=tag).delete()
        if not deleted:
            raise Conflict(f"Cell {cell} has no feature '{tag}'.", code="feature_missing")
        audit_record(
            actor=actor, action="cell.feature_remove", obj=cell, facility=facility,
            changes={"tag": tag}, reason=reason,
        )  # fmt: skip
        hooks.cell_changed(actor=actor, cell=cell, cause=f"{cell}: {tag} removed")


def cell_set_service(
    *, actor: User | None, cell: Cell, out_of_service: bool, reason: str = ""
) -> Cell:
    """Take a cell out of service (with a reason) or return it to service."""
    facility = cell.unit.zone.facility
    _require_cell_state(actor, facility)
    if out_of_service and not reason.strip():
        raise ValidationFailed.for_fields(
            {"reason": ["is required to take a cell out of service."]}
        )
    with transaction.atomic():
        locked = Cell.objects.select_for_update().get(pk=cell.pk)
        if locked.out_of_service == out_of_service:
            state = "out of service" if out_of_service else "in service"
            raise Conflict(f"Cell {locked} is already {state}.", code="no_change")
        locked.out_of_service = out_of_service
        locked.out_of_service_reason = reason.strip() if out_of_service else ""
        locked.save(update_fields=["out_of_service", "out_of_service_reason"])
        audit_record(
            actor=actor, action="cell.out_of_service" if out_of_service else "cell.in_service",
            obj=locked, facility=facility, reason=reason.strip(),
        )  # fmt: skip
        state = "out of service" if out_of_service else "back in service"
        hooks.cell_changed(actor=actor, cell=locked, cause=f"{locked} {state}")
    return locked


def post_create(
    *,
    actor: User | None,
    facility: Facility,
    code: str,
    name: str,
    required_officers: int = 1,
    zone: Zone | None = None,
    cell: Cell | None = None,
) -> GuardPost:
    _require_configure(actor, facility)
    for part, label in ((zone, "zone"), (cell, "cell")):
        if part is not None and _facility_of(part) != facility.pk:
            raise ValidationFailed.for_fields({label: [f"must belong to {facility.name}."]})
    post = GuardPost(
        facility=facility, code=code, name=name, required_officers=required_officers,
        zone=zone, cell=cell,
    )  # fmt: skip
    _validated(post)
    with transaction.atomic():
        post.save()
        audit_record(
            actor=actor, action="post.create", obj=post, facility=facility,
            changes={"code": code, "name": name, "required_officers": required_officers},
        )  # fmt: skip
    return post


def _facility_of(part: Zone | Cell) -> int:
    if isinstance(part, Zone):
        return part.facility_id
    return part.unit.zone.facility_id
