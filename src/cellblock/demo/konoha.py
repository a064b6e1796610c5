"""Konoha Prison: the demo facility of the three case files (docs/scenarios/).

Everything is created through the services with the system as the actor, so
the demo is audited like real work and ``cellblock audit verify`` passes after
it loads.  Loading twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from cellblock.accounts.models import Membership, User
from cellblock.accounts.services import membership_grant, user_create
from cellblock.core.roles import Role
from cellblock.facilities import services as fs
from cellblock.facilities.models import Agency, Cell, Facility, GuardPost, HousingUnit, Zone

AGENCY_CODE = "KONOHA"
FACILITY_CODE = "KON"
# Development demo only: printed by `make run`, never used in production.
DEMO_PASSWORD = "konoha-demo-2026"  # noqa: S105

# Konoha sets its visits at 20 minutes (SCENARIOS.md, case file 1).
KONOHA_POLICY = {"visit_length_minutes": 20}


@dataclass(frozen=True)
class DemoStaff:
    username: str
    full_name: str
    roles: tuple[Role, ...]
    note: str


STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("tsunade", "Tsunade", (Role.COMMANDER,), "the Hokage; presides over the court"),
    DemoStaff("shizune", "Shizune", (Role.SUPERVISOR, Role.MEDICAL), "shift supervisor and medic"),
    DemoStaff("sakura", "Sakura Haruno", (Role.MEDICAL,), "medic on staff (16)"),
    DemoStaff("hiroki", "Hiroki", (Role.OFFICER,), "jounin officer"),
    DemoStaff("izumo", "Izumo Kamizuki", (Role.OFFICER,), "end-of-corridor post"),
    DemoStaff("kotetsu", "Kotetsu Hagane", (Role.OFFICER,), "end-of-corridor post"),
    DemoStaff(
        "anbu_captain", "ANBU Captain", (Role.OFFICER,), "elite officer, no lower-level grant"
    ),
    DemoStaff("iruka", "Iruka Umino", (Role.BOOKING,), "booking desk"),
    DemoStaff("ibiki", "Ibiki Morino", (Role.CLASSIFICATION,), "classification"),
    DemoStaff("shikaku", "Shikaku Nara", (Role.COURT,), "court clerk"),
    DemoStaff("kurenai", "Kurenai Yuhi", (Role.VISITS,), "visits clerk"),
    DemoStaff("homura", "Homura Mitokado", (Role.AUDITOR,), "council auditor"),
    DemoStaff("konoha_admin", "Konoha Records Office", (Role.ADMIN,), "users and configuration"),
)


@dataclass(frozen=True)
class DemoCell:
    unit: str
    code: str
    name: str
    beds: int
    features: tuple[str, ...]


CELLS: tuple[DemoCell, ...] = (
    *(
        DemoCell("MC", f"MC-{n:02d}", f"Corridor cell {n}", 2, ("chakra-suppression", "lighting"))
        for n in range(1, 9)
    ),
    DemoCell(
        "HS", "HS-01", "End-of-corridor cell", 1,
        ("chakra-suppression", "lighting", "observation", "single-occupancy"),
    ),
    # Deep underground behind an iron door; there is no light in it.
    DemoCell("ISO", "ISO-1", "Isolation cell", 1, ("iron-door",)),
)  # fmt: skip


def konoha_loaded() -> bool:
    return Facility.objects.filter(code=FACILITY_CODE).exists()


def any_facility_exists() -> bool:
    return Facility.objects.exists()


def load_konoha(progress: Callable[[str], None] = lambda _: None) -> Facility:
    """Create (or complete) Konoha Prison and its staff.  Idempotent."""
    with transaction.atomic():
        agency = Agency.objects.filter(code=AGENCY_CODE).first() or fs.agency_create(
            actor=None, code=AGENCY_CODE, name="Konohagakure (Village Hidden in the Leaves)"
        )
        facility = Facility.objects.filter(code=FACILITY_CODE).first() or fs.facility_create(
            actor=None, agency=agency, code=FACILITY_CODE, name="Konoha Prison",
            timezone="Asia/Tokyo", policy=KONOHA_POLICY,
        )  # fmt: skip
        progress("facility")
        main = _zone(
            facility, "MAIN", "Main cell block", restricted=False,
            description="A long, dim corridor of cells with chakra-suppression bars.",
        )  # fmt: skip
        lower = _zone(
            facility, "LOWER", "Mountain Prison lower level", restricted=True,
            description="Deep underground; one isolation cell behind an iron door, no lighting.",
        )  # fmt: skip
        units = {
            "MC": _unit(main, "MC", "Main corridor", security_rating="maximum"),
            "HS": _unit(
                main, "HS", "End of the corridor (high security)", security_rating="special"
            ),
            "ISO": _unit(
                lower, "ISO", "Isolation", security_rating="special", restrictive_housing=True
            ),
        }
        progress("zones and units")
        cells = {spec.code: _cell(units[spec.unit], spec) for spec in CELLS}
        progress("cells")
        _post(facility, "END", "End-of-corridor door post", 2, cell=cells["HS-01"])
        _post(facility, "MAIN-DESK", "Main block desk", 1, zone=main)
        _post(facility, "LOWER-GATE", "Lower level gate", 1, zone=lower)
        progress("guard posts")
        for staff in STAFF:
            _staff(facility, staff)
        progress("staff")
    return facility


def _zone(facility: Facility, code: str, name: str, *, restricted: bool, description: str) -> Zone:
    existing = Zone.objects.filter(facility=facility, code=code).first()
    return existing or fs.zone_create(
        actor=None, facility=facility, code=code, name=name, restricted=restricted,
        description=description,
    )  # fmt: skip


def _unit(zone: Zone, code: str, name: str, **options: object) -> HousingUnit:
    existing = HousingUnit.objects.filter(zone=zone, code=code).first()
    return existing or fs.unit_create(actor=None, zone=zone, code=code, name=name, **options)  # type: ignore[arg-type]


def _cell(unit: HousingUnit, spec: DemoCell) -> Cell:
    existing = Cell.objects.filter(unit=unit, code=spec.code).first()
    return existing or fs.cell_create(
        actor=None, unit=unit, code=spec.code, name=spec.name, beds=spec.beds,
        features=list(spec.features),
    )  # fmt: skip


def _post(
    facility: Facility, code: str, name: str, officers: int, *, zone: Zone | None = None,
    cell: Cell | None = None,
) -> GuardPost:  # fmt: skip
    existing = GuardPost.objects.filter(facility=facility, code=code).first()
    return existing or fs.post_create(
        actor=None, facility=facility, code=code, name=name, required_officers=officers,
        zone=zone, cell=cell,
    )  # fmt: skip


def _staff(facility: Facility, staff: DemoStaff) -> User:
    user = User.objects.filter(username=staff.username).first() or user_create(
        actor=None, username=staff.username, full_name=staff.full_name, password=DEMO_PASSWORD,
    )  # fmt: skip
    for role in staff.roles:
        if not Membership.objects.filter(user=user, facility=facility, role=role).exists():
            membership_grant(actor=None, user=user, facility=facility, role=role)
    return user


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, roles, who) for the printed table."""
    return [(s.username, ", ".join(r.value for r in s.roles), s.note) for s in STAFF]
