"""Facility structure API: read the tree, configure zones, units, cells, posts, policy."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.accounts.services import staff_create
from cellblock.core.access import acting_user, api_installation, api_requires
from cellblock.core.errors import NotFound
from cellblock.core.roles import Perm, Role
from cellblock.facilities import selectors, services
from cellblock.facilities.models import (
    AgeGroup,
    Agency,
    FacilityPolicy,
    FeatureStatus,
    HousingUnit,
    SecurityRating,
    SexServed,
    Zone,
)

router = Router()


# --- schemas -----------------------------------------------------------------


class FacilityOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    agency: str
    timezone: str
    serves_adults: bool


class CellOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    capacity: int
    occupied: int
    out_of_service: bool
    out_of_service_reason: str
    features: dict[str, str]


class UnitOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    security_rating: str
    sex_served: str
    age_group: str
    restrictive_housing: bool
    minutes_to_medical: int
    capacity: int
    occupied: int
    cells: list[CellOut]


class ZoneOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    restricted: bool
    capacity: int
    occupied: int
    units: list[UnitOut]


class PostOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    required_officers: int
    zone: uuid.UUID | None
    cell: uuid.UUID | None


class TreeOut(Schema):
    facility: FacilityOut
    capacity: int
    occupied: int
    zones: list[ZoneOut]
    posts: list[PostOut]


class ZoneIn(Schema):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    restricted: bool = False
    description: str = ""


class UnitIn(Schema):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    security_rating: SecurityRating = SecurityRating.MEDIUM
    sex_served: SexServed = SexServed.ANY
    age_group: AgeGroup = AgeGroup.ADULT
    restrictive_housing: bool = False
    minutes_to_medical: int = Field(default=0, ge=0, le=600)


class CellIn(Schema):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(default="", max_length=200)
    beds: int = Field(default=1, ge=1, le=64)
    features: list[str] = []


class FeatureIn(Schema):
    tag: str = Field(min_length=1, max_length=40)
    status: FeatureStatus = FeatureStatus.WORKING
    note: str = Field(default="", max_length=500)


class ServiceIn(Schema):
    out_of_service: bool
    reason: str = Field(default="", max_length=500)


class PostIn(Schema):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    required_officers: int = Field(default=1, ge=1, le=20)
    zone: uuid.UUID | None = None
    cell: uuid.UUID | None = None


class CreatedOut(Schema):
    id: uuid.UUID


class AgencyIn(Schema):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=200)


class AdministratorIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=128)
    email: str = Field(default="", max_length=254)


class FacilityIn(Schema):
    agency: uuid.UUID
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    serves_adults: bool = True
    policy: dict[str, int | bool] = Field(
        default_factory=dict, description="Policy numbers that differ from the defaults."
    )
    administrator: AdministratorIn = Field(
        description="The facility's first administrator, who then configures it and its staff."
    )


# --- conversions -------------------------------------------------------------


def _facility_out(facility: Any) -> FacilityOut:
    return FacilityOut(
        id=facility.public_id, code=facility.code, name=facility.name,
        agency=facility.agency.name, timezone=facility.timezone,
        serves_adults=facility.serves_adults,
    )  # fmt: skip


def _tree_out(tree: selectors.FacilityTree) -> TreeOut:
    return TreeOut(
        facility=_facility_out(tree.facility),
        capacity=tree.capacity,
        occupied=tree.occupied,
        zones=[
            ZoneOut(
                id=z.zone.public_id, code=z.zone.code, name=z.zone.name,
                restricted=z.zone.restricted, capacity=z.capacity, occupied=z.occupied,
                units=[
                    UnitOut(
                        id=u.unit.public_id, code=u.unit.code, name=u.unit.name,
                        security_rating=u.unit.security_rating, sex_served=u.unit.sex_served,
                        age_group=u.unit.age_group,
                        restrictive_housing=u.unit.restrictive_housing,
                        minutes_to_medical=u.unit.minutes_to_medical,
                        capacity=u.capacity, occupied=u.occupied,
                        cells=[
                            CellOut(
                                id=c.cell.public_id, code=c.cell.code, name=c.cell.name,
                                capacity=c.capacity, occupied=c.occupied,
                                out_of_service=c.cell.out_of_service,
                                out_of_service_reason=c.cell.out_of_service_reason,
                                features=dict(c.features),
                            )
                            for c in u.cells
                        ],
                    )
                    for u in z.units
                ],
            )
            for z in tree.zones
        ],
        posts=[
            PostOut(
                id=p.public_id, code=p.code, name=p.name, required_officers=p.required_officers,
                zone=p.zone.public_id if p.zone else None,
                cell=p.cell.public_id if p.cell else None,
            )
            for p in tree.posts
        ],
    )  # fmt: skip


def _zone_for(user: User, public_id: uuid.UUID) -> Zone:
    zone = (
        Zone.objects.select_related("facility")
        .filter(public_id=public_id, facility_id__in=user.facilities_with(Perm.FACILITY_VIEW))
        .first()
    )
    if zone is None:
        raise NotFound(f"No zone with id {public_id}.")
    return zone


def _unit_for(user: User, public_id: uuid.UUID) -> HousingUnit:
    unit = (
        HousingUnit.objects.select_related("zone__facility")
        .filter(public_id=public_id, zone__facility_id__in=user.facilities_with(Perm.FACILITY_VIEW))
        .first()
    )
    if unit is None:
        raise NotFound(f"No housing unit with id {public_id}.")
    return unit


# --- operations --------------------------------------------------------------


@router.get("/", response=list[FacilityOut], auth=api_requires(Perm.FACILITY_VIEW))
def list_facilities(request: HttpRequest) -> list[FacilityOut]:
    return [_facility_out(f) for f in selectors.facilities_for_user(acting_user(request))]


@router.post("/agencies", response={201: CreatedOut}, auth=api_installation())
def create_agency(request: HttpRequest, payload: AgencyIn) -> Status[CreatedOut]:
    agency = services.agency_create(actor=acting_user(request), **payload.dict())
    return Status(201, CreatedOut(id=agency.public_id))


@router.post("/", response={201: FacilityOut}, auth=api_installation())
def create_facility(request: HttpRequest, payload: FacilityIn) -> Status[FacilityOut]:
    """A new facility and its first administrator, all or nothing."""
    user = acting_user(request)
    agency = Agency.objects.filter(public_id=payload.agency).first()
    if agency is None:
        raise NotFound(f"No agency with id {payload.agency}.")
    admin = payload.administrator
    with transaction.atomic():
        facility = services.facility_create(
            actor=user, agency=agency, code=payload.code, name=payload.name,
            timezone=payload.timezone, serves_adults=payload.serves_adults,
            policy=payload.policy,
        )  # fmt: skip
        staff_create(
            actor=user, facility=facility, username=admin.username, full_name=admin.full_name,
            password=admin.password, email=admin.email, roles=[Role.ADMIN.value],
        )  # fmt: skip
    return Status(201, _facility_out(facility))


@router.get("/{facility_id}/tree", response=TreeOut, auth=api_requires(Perm.FACILITY_VIEW))
def facility_tree(request: HttpRequest, facility_id: uuid.UUID) -> TreeOut:
    facility = selectors.facility_get_for_user(acting_user(request), facility_id)
    return _tree_out(selectors.facility_tree(facility))


@router.get("/{facility_id}/policy", response=dict[str, Any], auth=api_requires(Perm.FACILITY_VIEW))
def facility_policy(request: HttpRequest, facility_id: uuid.UUID) -> dict[str, Any]:
    facility = selectors.facility_get_for_user(acting_user(request), facility_id)
    policy = FacilityPolicy.objects.get(facility=facility)
    return {
        f.name: getattr(policy, f.name)
        for f in FacilityPolicy._meta.fields
        if f.name not in ("id", "facility")
    }


@router.patch(
    "/{facility_id}/policy", response=dict[str, Any], auth=api_requires(Perm.FACILITY_CONFIGURE)
)
def update_policy(
    request: HttpRequest, facility_id: uuid.UUID, payload: dict[str, int | bool]
) -> dict[str, Any]:
    user = acting_user(request)
    facility = selectors.facility_get_for_user(user, facility_id)
    services.facility_policy_update(actor=user, facility=facility, **payload)
    return facility_policy(request, facility_id)


@router.post(
    "/{facility_id}/zones", response={201: CreatedOut}, auth=api_requires(Perm.FACILITY_CONFIGURE)
)
def create_zone(
    request: HttpRequest, facility_id: uuid.UUID, payload: ZoneIn
) -> Status[CreatedOut]:
    user = acting_user(request)
    facility = selectors.facility_get_for_user(user, facility_id)
    zone = services.zone_create(actor=user, facility=facility, **payload.dict())
    return Status(201, CreatedOut(id=zone.public_id))


@router.post(
    "/zones/{zone_id}/units", response={201: CreatedOut}, auth=api_requires(Perm.FACILITY_CONFIGURE)
)
def create_unit(request: HttpRequest, zone_id: uuid.UUID, payload: UnitIn) -> Status[CreatedOut]:
    user = acting_user(request)
    unit = services.unit_create(actor=user, zone=_zone_for(user, zone_id), **payload.dict())
    return Status(201, CreatedOut(id=unit.public_id))


@router.post(
    "/units/{unit_id}/cells", response={201: CreatedOut}, auth=api_requires(Perm.FACILITY_CONFIGURE)
)
def create_cell(request: HttpRequest, unit_id: uuid.UUID, payload: CellIn) -> Status[CreatedOut]:
    user = acting_user(request)
    cell = services.cell_create(actor=user, unit=_unit_for(user, unit_id), **payload.dict())
    return Status(201, CreatedOut(id=cell.public_id))


@router.put(
    "/cells/{cell_id}/features", response=CreatedOut, auth=api_requires(Perm.FACILITY_CONFIGURE)
)
def set_cell_feature(request: HttpRequest, cell_id: uuid.UUID, payload: FeatureIn) -> CreatedOut:
    user = acting_user(request)
    cell = selectors.cell_get_for_user(user, cell_id)
    services.cell_feature_set(actor=user, cell=cell, **payload.dict())
    return CreatedOut(id=cell.public_id)


@router.post(
    "/cells/{cell_id}/service", response=CreatedOut, auth=api_requires(Perm.FACILITY_CONFIGURE)
)
def set_cell_service(request: HttpRequest, cell_id: uuid.UUID, payload: ServiceIn) -> CreatedOut:
    user = acting_user(request)
    cell = selectors.cell_get_for_user(user, cell_id)
    services.cell_set_service(actor=user, cell=cell, **payload.dict())
    return CreatedOut(id=cell.public_id)


@router.post(
    "/{facility_id}/posts", response={201: CreatedOut}, auth=api_requires(Perm.FACILITY_CONFIGURE)
)
def create_post(
    request: HttpRequest, facility_id: uuid.UUID, payload: PostIn
) -> Status[CreatedOut]:
    user = acting_user(request)
    facility = selectors.facility_get_for_user(user, facility_id)
    zone = _zone_for(user, payload.zone) if payload.zone else None
    cell = selectors.cell_get_for_user(user, payload.cell) if payload.cell else None
    post = services.post_create(
        actor=user, facility=facility, code=payload.code, name=payload.name,
        required_officers=payload.required_officers, zone=zone, cell=cell,
    )  # fmt: skip
    return Status(201, CreatedOut(id=post.public_id))
