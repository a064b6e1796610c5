"""Roster files and a populated facility for the exchange tests, built through the services."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from PIL import Image

from cellblock.accounts.models import User
from cellblock.booking.models import Booking, BookingStatus, ReleaseType
from cellblock.booking.services import (
    BookingDetails,
    ChargeData,
    PropertyData,
    booking_identity_confirm,
    booking_open,
    booking_transition,
    property_inventory_sign,
    property_item_add,
    property_item_return,
)
from cellblock.classification.services import (
    assessment_override_decide,
    assessment_record,
    flag_lift,
    flag_set,
    group_member_add,
    prea_screening_record,
    protective_order_create,
    review_trigger_raise,
    security_group_create,
    separation_order_create,
    staff_conflict_create,
)
from cellblock.conftest import SmallFacility, make_staff, screen_clear
from cellblock.core import clock
from cellblock.core.roles import Role
from cellblock.exchange.roster_csv import example_csv
from cellblock.facilities.services import cell_feature_set, post_create
from cellblock.housing.services import bed_assign
from cellblock.medical.services.access import medical_lead_set
from cellblock.people.models import Person
from cellblock.people.services import person_create, person_photo_add


def roster(*rows: dict[str, str], columns: list[str] | None = None) -> bytes:
    """A roster CSV with every column (or only ``columns``), one line per row."""
    text = example_csv(list(rows))
    if columns is not None:
        lines = text.splitlines()
        header = lines[0].split(",")
        keep = [header.index(name) for name in columns]
        text = "\n".join(",".join(line.split(",")[i] for i in keep) for line in lines) + "\n"
    return text.encode()


def row(external_id: str, family: str, given: str, **values: str) -> dict[str, str]:
    """A good row: booked a week ago, pretrial, on arrest."""
    booked = (clock.now() - dt.timedelta(days=7)).replace(microsecond=0)
    return {
        "external_id": external_id,
        "family_name": family,
        "given_name": given,
        "date_of_birth": "1990-05-01",
        "sex": "male",
        "booked_at": booked.isoformat(),
        "source": "arrest",
        "legal_status": "pretrial",
        **values,
    }


def write(tmp_path: Path, content: bytes, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def png(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 64), colour).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Populated:
    site: SmallFacility
    people: list[Person] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    # The protected person of the protective order: on record, never booked.
    protected: Person | None = None


def populate(site: SmallFacility, other: SmallFacility, commander: User, clerk: User) -> Populated:
    """A facility with most kinds of record, each written by its own service."""
    facility = site.facility
    result = Populated(site)
    post_create(actor=None, facility=facility, code="P1", name="Control room", zone=site.zone)
    cell_feature_set(
        actor=None, cell=site.cells[1], tag="lighting", status="compromised", note="bulb out"
    )
    kakashi = person_create(
        actor=clerk, facility=facility, given_name="Kakashi", family_name="Hatake",
        date_of_birth=dt.date(1996, 9, 15), sex="male",
        identifiers={"passport": "P-1001", "village_registry": "KON 0001"},
    )  # fmt: skip
    sakura = person_create(
        actor=clerk, facility=facility, given_name="Sakura", family_name="Haruno",
        date_of_birth=dt.date(1998, 3, 28), sex="female", identifiers={"state_id": "S-77"},
    )  # fmt: skip
    naruto = person_create(
        actor=None, facility=other.facility, given_name="Naruto", family_name="Uzumaki",
        date_of_birth=dt.date(1997, 10, 10), sex="male", identifiers={"fbi": "F-9"},
    )  # fmt: skip
    # Naruto was held at the other jail first: that booking and its photo stay there.
    earlier = booking_open(actor=None, facility=other.facility, person=naruto, source="arrest")
    person_photo_add(actor=None, person=naruto, content=png((0, 0, 200)), booking=earlier)
    booking_transition(actor=None, booking=earlier, to=BookingStatus.IN_CUSTODY)
    booking_transition(
        actor=None, booking=earlier, to=BookingStatus.RELEASED, release_type=ReleaseType.TRANSFER
    )
    booked = clock.now() - dt.timedelta(days=3)
    first = booking_open(
        actor=clerk, facility=facility, person=kakashi, source="warrant",
        legal_status="pretrial", booked_at=booked,
        details=BookingDetails(
            committing_authority="Konoha Police", authority_reference="W-1", height_cm=181,
            weight_kg=67, eye_colour="grey", emergency_contact_name="Gai",
            emergency_contact_phone="+81 555 0101",
        ),
        charges=[
            ChargeData("KPC 211", "Robbery", "felony", charge_class="A", counts=2,
                       case_number="CR-1"),
            ChargeData("KPC 594", "Vandalism", "misdemeanour"),
        ],
        external_reference="OLD-1",
    )  # fmt: skip
    booking_identity_confirm(actor=clerk, booking=first, method="passport P-1001")
    property_item_add(
        actor=clerk, booking=first,
        data=PropertyData(kind="taken", description="Cash", cash_amount=Decimal("12.50"),
                          bag_number="B-17"),
    )  # fmt: skip
    watch = property_item_add(
        actor=clerk, booking=first, data=PropertyData(kind="taken", description="Watch")
    )
    property_item_add(
        actor=clerk, booking=first,
        data=PropertyData(kind="issued", description="Blanket", quantity=2, condition="new"),
    )  # fmt: skip
    property_inventory_sign(actor=clerk, booking=first)
    property_item_return(actor=commander, item=watch, note="sent home with family")
    person_photo_add(actor=clerk, person=kakashi, content=png(), booking=first)
    booking_transition(actor=commander, booking=first, to=BookingStatus.IN_CUSTODY)
    # The medic screens him before his bed, and is the facility's medical lead: a facility
    # record that names a member of staff.
    medic = make_staff("mo_medic", facility, Role.MEDICAL)
    medical_lead_set(actor=None, facility=facility, lead=medic)
    screen_clear(first, by=medic)
    bed_assign(actor=commander, booking=first, bed=site.cells[0].beds.get(code="B1"))
    bed_assign(
        actor=commander, booking=first, bed=site.cells[1].beds.get(code="B2"), reason="moved"
    )
    flag_set(
        actor=commander, booking=first, kind="escape_risk", reason="tried the fence",
        until=clock.now() + dt.timedelta(days=30),
    )  # fmt: skip
    diet = flag_set(actor=commander, booking=first, kind="diet", detail="no pork", reason="faith")
    flag_lift(actor=commander, flag=diet, reason="recorded in error")
    second = booking_open(
        actor=clerk, facility=facility, person=sakura, source="court_remand",
        legal_status="hold", booked_at=booked,
    )  # fmt: skip
    third = booking_open(actor=clerk, facility=facility, person=naruto, source="transfer_in")
    person_photo_add(actor=clerk, person=naruto, content=png((0, 150, 0)), booking=third)
    # Known by one name only, and with no date of birth.
    gaara = person_create(actor=clerk, facility=facility, given_name="Gaara", family_name="")
    fourth = booking_open(actor=clerk, facility=facility, person=gaara, source="arrest")
    result.people = [kakashi, sakura, naruto, gaara]
    result.bookings = [first, second, third, fourth]
    _classify(result, other, commander, clerk)
    return result


ANSWERS = {
    "institutional_violence": "none", "current_offence": "high", "prior_assaultive": "low",
    "escape_history": "minimum_old", "disciplinary": "none", "detainers": "none",
    "prior_felonies": "one", "special_needs": "none",
}  # fmt: skip
NO_PREA_CRITERIA = {
    code: False
    for code in (
        "disability", "age", "physical_build", "first_incarceration", "nonviolent_history",
        "prior_sex_offence", "lgbti_or_nonconforming", "prior_victimisation", "own_perception",
        "civil_immigration", "prior_sexual_abuse", "prior_violent_convictions",
        "institutional_violence",
    )
}  # fmt: skip


def _classify(result: Populated, other: SmallFacility, commander: User, clerk: User) -> None:
    """One record of each kind classification keeps, on the people of ``populate``."""
    facility = result.site.facility
    kakashi, _sakura, naruto, gaara = result.people
    first = result.bookings[0]
    assessment_record(actor=commander, booking=first, answers=ANSWERS)
    review_trigger_raise(
        actor=commander, booking=first, reason="incident", detail="Fight in the yard"
    )
    # The reassessment satisfies the trigger; its override waits for a second person.
    override = assessment_record(
        actor=commander, booking=first, answers={**ANSWERS, "disciplinary": "one_major"},
        override_level="maximum", override_reason="Led the fight",
    )  # fmt: skip
    approver = make_staff("sid_supervisor", facility, Role.SUPERVISOR)
    assessment_override_decide(actor=approver, assessment=override, approve=True, note="Agreed")
    prea_screening_record(
        actor=commander, booking=first,
        answers={**NO_PREA_CRITERIA, "prior_violent_convictions": True,
                 "institutional_violence": True},
    )  # fmt: skip
    # A need the cell lacks: a housing alert.
    flag_set(
        actor=commander, booking=first, kind="containment", detail="chakra-suppression",
        reason="elite shinobi",
    )  # fmt: skip
    group = security_group_create(
        actor=commander, facility=facility, code="akatsuki", name="Akatsuki", kind="faction"
    )
    group_member_add(
        actor=commander, facility=facility, group=group, person=gaara, basis="cloak and ring"
    )
    separation_order_create(
        actor=commander, facility=facility, person=kakashi, other_person=naruto, scope="unit",
        reason="old rivals", expires_at=clock.now() + dt.timedelta(days=90),
    )  # fmt: skip
    separation_order_create(
        actor=commander, facility=facility, person=kakashi, group=group, scope="total",
        reason="hunted by Akatsuki",
    )  # fmt: skip
    # Protected, never booked: exported because the order names her.
    ino = person_create(actor=clerk, facility=facility, given_name="Ino", family_name="Yamanaka")
    protective_order_create(
        actor=commander, facility=facility, person=kakashi, protected_person=ino,
        protected_role="witness", source="court_order", scope="all_contact",
        issued_by="Konoha court", reference="CO-7",
    )  # fmt: skip
    # A member of staff of the sister jail, named by a record here.
    victim = make_staff("ola_other", other.facility, Role.OFFICER)
    staff_conflict_create(
        actor=commander, facility=facility, person=kakashi, staff=victim,
        kind="alleged_victim", reason="assaulted her at the sister jail",
    )  # fmt: skip
    result.protected = ino
