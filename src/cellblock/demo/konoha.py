"""Konoha Prison: the demo facility of the three case files (docs/scenarios/).

Everything is created through the services with the system as the actor, so
the demo is audited like real work and ``cellblock audit verify`` passes after
it loads.  Loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from cellblock.accounts.models import Membership, User
from cellblock.accounts.services import membership_grant, user_create
from cellblock.booking import services as bs
from cellblock.booking.models import (
    OPEN_STATUSES,
    Booking,
    BookingSource,
    BookingStatus,
    LegalStatus,
    PropertyKind,
)
from cellblock.classification import prea
from cellblock.classification.models import (
    Assessment,
    ConflictKind,
    Flag,
    PreaKind,
    PreaScreening,
    StaffConflict,
)
from cellblock.classification.selectors import active_flags_q, policy_of
from cellblock.classification.services import (
    assessment_override_decide,
    assessment_record,
    flag_set,
    prea_screening_record,
    staff_conflict_create,
)
from cellblock.core import clock
from cellblock.core.roles import Role
from cellblock.custody.models import (
    CheckStatus,
    CountMethod,
    CountSheet,
    Destination,
    FormalCount,
    MealOutcome,
    MealRecord,
    Movement,
    PostAssignment,
    Restraint,
    RestraintKind,
    RestraintPurpose,
    RoundCheck,
    ZoneAccess,
)
from cellblock.custody.schedule import at_local, local_date, parse_times, slots_between
from cellblock.custody.selectors.posts import current_shift
from cellblock.custody.services.access import zone_access_set
from cellblock.custody.services.counts import count_clear, count_sheet_record, count_start
from cellblock.custody.services.meals import meal_record
from cellblock.custody.services.movements import movement_return, movement_start
from cellblock.custody.services.posts import post_assign
from cellblock.custody.services.restraints import restraint_apply, restraint_check_record
from cellblock.custody.services.rounds import round_check_record
from cellblock.demo.ages import born_aged
from cellblock.demo.konoha_court import court_records
from cellblock.demo.konoha_medical import medical_records, screen_at_intake
from cellblock.demo.konoha_visits import visits_and_requests
from cellblock.facilities import services as fs
from cellblock.facilities.models import Agency, Bed, Cell, Facility, GuardPost, HousingUnit, Zone
from cellblock.housing.models import BedAssignment
from cellblock.housing.services import bed_assign
from cellblock.incidents.models import Incident, IncidentKind
from cellblock.incidents.services import incident_report
from cellblock.people.models import PersonIdentifier
from cellblock.people.services import person_create

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


# Who walks the main cell block without a grant.
MAIN_BLOCK_ROLES = (Role.COMMANDER, Role.SUPERVISOR, Role.OFFICER)

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
    # Round the corner from the main corridor: where a man whose bars give way goes.
    *(
        DemoCell("MW", f"MW-{n:02d}", f"West cell {n}", 2, ("chakra-suppression", "lighting"))
        for n in range(1, 3)
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
        # Custody staff walk the block; a medic goes into a cell on a supervisor's grant.
        if not ZoneAccess.objects.filter(zone=main).exists():
            zone_access_set(actor=None, zone=main, roles=MAIN_BLOCK_ROLES)
        lower = _zone(
            facility, "LOWER", "Mountain Prison lower level", restricted=True,
            description="Deep underground; one isolation cell behind an iron door, no lighting.",
        )  # fmt: skip
        units = {
            "MC": _unit(main, "MC", "Main corridor", security_rating="maximum"),
            "MW": _unit(main, "MW", "West corridor", security_rating="maximum"),
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
        for held in HELD:
            _book(facility, held)
        _shift_in_progress(facility)
        progress("people held, shift")
        visits_and_requests(facility)
        progress("visits and requests")
        medical_records(facility)
        progress("medical records")
        court_records(facility)
        progress("court and releases")
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


def _answers(
    offence: str = "low",
    *,
    violence: str = "none",
    assaultive: str = "none",
    escape: str = "none",
    discipline: str = "none",
    detainers: str = "none",
    felonies: str = "none",
    special: str = "none",
) -> dict[str, str]:
    """Answers to the default custody instrument (docs/classification.md)."""
    return {
        "institutional_violence": violence,
        "current_offence": offence,
        "prior_assaultive": assaultive,
        "escape_history": escape,
        "disciplinary": discipline,
        "detainers": detainers,
        "prior_felonies": felonies,
        "special_needs": special,
    }


@dataclass(frozen=True)
class DemoHeld:
    """A person held at Konoha when the demo opens, booked ``days_ago``.

    The juvenile flag is not listed: it follows from the date of birth at booking.
    """

    registry: str  # village registry number: how a reload finds them again
    given_name: str
    family_name: str
    # The age the case files give, and how long ago the last birthday was: the date of
    # birth follows from the day the demo loads, so the ages hold whenever it does.
    born: tuple[int, int]  # (age, days since the last birthday)
    sex: str
    days_ago: int
    charge: tuple[str, str, str]  # statute, description, severity
    cell: str
    flags: tuple[tuple[str, str, str], ...] = ()  # kind, detail, reason
    property: tuple[str, ...] = ()
    # Intake finished: identity confirmed, charges and property signed.
    intake_done: bool = True
    # The initial classification by the classification officer (ibiki), and an
    # override of its level with the reason, approved by the commander.
    assessment: dict[str, str] | None = None
    override: tuple[str, str] | None = None
    # The PREA criteria that apply (prea.VICTIM_CRITERIA, ABUSER_CRITERIA); None: not
    # screened yet.  ``prea_reassessed``: the 30-day reassessment is done as well.
    prea: frozenset[str] | None = None
    prea_reassessed: bool = False
    # A member of staff who is the alleged victim (case file 3): username, reason.
    staff_victim: tuple[str, str] | None = None
    # Konoha has no juvenile unit: the commander housed these against the rule book, and
    # the placement stays on the housing alert board (case file 2 is about exactly that).
    housing_override: str = ""
    # How they came: arrested by the military police, or remanded by the court's verdict.
    source: str = BookingSource.ARREST
    legal_status: str = LegalStatus.PRETRIAL
    authority: str = "Konoha Military Police Force"
    # Clothing and kit issued by the prison at intake.
    issued: tuple[str, ...] = ()


HELD: tuple[DemoHeld, ...] = (
    # Case file 2: ten years old, held in the dark isolation cell for months.
    DemoHeld(
        "KN-0010-1010",
        "Naruto",
        "Uzumaki",
        (10, 100),
        "male",
        90,
        ("KPC 187/664", "Attempted killing of villagers with the fox's chakra", "felony"),
        "ISO-1",
        flags=(("dangerous", "", "The fox's chakra: dangerous to other inmates."),),
        property=("Orange jumpsuit", "Forehead protector"),
        assessment=_answers("highest", special="juvenile_in_adult_system"),
        # Screened once at intake; three months on, the 30-day reassessment never came.
        prea=frozenset({"age", "physical_build", "first_incarceration"}),
        housing_override="The council ordered the fox's host sealed away in the isolation cell.",
    ),
    # Case file 3: pretrial, for the attempted murder of a medic on staff.
    DemoHeld(
        "KN-0016-0723",
        "Sasuke",
        "Uchiha",
        (16, 40),
        "male",
        12,
        ("KPC 187/664", "Attempted murder of Sakura Haruno", "felony"),
        "HS-01",
        flags=(
            ("escape_risk", "", "Sharingan; left the village before."),
            ("containment", "chakra-suppression", "Elite shinobi."),
            ("diet", "no sweets", "Will not eat sweets."),
        ),
        property=("Kusanagi sword (sealed)", "Rope belt"),
        assessment=_answers("highest", special="juvenile_in_adult_system"),
        prea=frozenset({"age", "first_incarceration"}),
        housing_override="No juvenile unit at Konoha; held at the end of the corridor for trial.",
        staff_victim=(
            "sakura",
            "Sakura Haruno, medic on staff, is the alleged victim of the attempted murder "
            "he is held for.",
        ),
    ),
    DemoHeld(
        "KN-0031-0412",
        "Mizuki",
        "",
        (31, 150),
        "male",
        40,
        ("KPC 484", "Theft of the Scroll of Seals", "felony"),
        "MC-01",
        property=("Fuma shuriken (2)", "Flak jacket"),
        assessment=_answers("moderate", assaultive="moderate", detainers="violent_felony"),
        prea=frozenset(),
        prea_reassessed=True,
    ),
    DemoHeld(
        "KN-0029-0228",
        "Kabuto",
        "Yakushi",
        (29, 200),
        "male",
        21,
        ("KPC 793", "Espionage for a foreign village", "felony"),
        "MC-02",
        flags=(("escape_risk", "", "Medical ninja; infiltration record."),),
        assessment=_answers("moderate", assaultive="low", detainers="felony"),
        override=(
            "maximum",
            "An infiltration specialist: minimum custody would let him walk out.",
        ),
        prea=frozenset(),
    ),
    DemoHeld(
        "KN-0052-0903",
        "Gatō",
        "",
        (52, 80),
        "male",
        6,
        ("KPC 470", "Fraud and extortion in the Land of Waves", "misdemeanour"),
        "MC-03",
        property=("Walking cane", "Ryō in cash"),
        assessment=_answers(detainers="misdemeanour"),
        prea=frozenset({"physical_build", "first_incarceration", "nonviolent_history"}),
    ),
    # Case file 1: remanded by Tsunade's guilty verdict yesterday; an elite shinobi.
    DemoHeld(
        "KN-0030-0915",
        "Kakashi",
        "Hatake",
        (30, 60),
        "male",
        1,
        ("KPC 3-12", "Offence against a minor (verdict: guilty)", "felony"),
        "MC-05",
        flags=(
            ("containment", "chakra-suppression", "Elite shinobi: chakra must be suppressed."),
            ("escape_risk", "", "Jounin with escape training."),
        ),
        property=("Flak jacket", "Forehead protector", "Ninja tool pouch", "Icha Icha novel"),
        issued=("Grey jumpsuit", "Mask", "Eye patch"),
        assessment=_answers("high", escape="secure_recent", detainers="felony"),
        prea=frozenset(),
        source=BookingSource.COURT_REMAND,
        legal_status=LegalStatus.SENTENCED,
        authority="Konoha court, Tsunade presiding (verdict KON-CR-2026-0042)",
    ),
    DemoHeld(
        "KN-0017-1104",
        "Kin",
        "Tsuchi",
        (17, 20),
        "female",
        2,
        ("KPC 242", "Assault during the chūnin exams", "misdemeanour"),
        "MC-04",
        intake_done=False,
        housing_override="No juvenile unit at Konoha; held overnight after the exams.",
        # Classified within the 48 hours; her PREA screening is due tomorrow.
        assessment=_answers("high", special="juvenile_in_adult_system"),
    ),
)


def _book(facility: Facility, held: DemoHeld) -> Booking | None:
    """Book, flag, house and classify one person through the services.

    A person already on record is not booked again; only what is missing of
    their classification is recorded.
    """
    if PersonIdentifier.objects.filter(kind="village_registry", value=held.registry).exists():
        booking = Booking.objects.filter(
            facility=facility, status__in=OPEN_STATUSES,
            person__identifiers__kind="village_registry",
            person__identifiers__value=held.registry,
        ).first()  # fmt: skip
        if booking is not None:
            _flag(booking, held)
            _classify(booking, held)
        return None
    clerk = User.objects.get(username="iruka")
    classifier = User.objects.get(username="ibiki")
    person = person_create(
        actor=clerk, facility=facility, given_name=held.given_name,
        family_name=held.family_name, date_of_birth=born_aged(*held.born), sex=held.sex,
        identifiers={"village_registry": held.registry},
    )  # fmt: skip
    statute, description, severity = held.charge
    booking = bs.booking_open(
        actor=clerk, facility=facility, person=person, source=held.source,
        legal_status=held.legal_status,
        booked_at=clock.now() - dt.timedelta(days=held.days_ago),
        details=bs.BookingDetails(committing_authority=held.authority),
        charges=[bs.ChargeData(statute=statute, description=description, severity=severity)],
    )  # fmt: skip
    for item in held.property:
        bs.property_item_add(
            actor=clerk, booking=booking,
            data=bs.PropertyData(kind=PropertyKind.TAKEN, description=item),
        )  # fmt: skip
    for item in held.issued:
        bs.property_item_add(
            actor=clerk, booking=booking,
            data=bs.PropertyData(kind=PropertyKind.ISSUED, description=item),
        )  # fmt: skip
    if held.intake_done:
        bs.booking_identity_confirm(actor=clerk, booking=booking, method="Village registry")
        bs.booking_charges_complete(actor=clerk, booking=booking)
        bs.property_inventory_sign(actor=clerk, booking=booking)
    _flag(booking, held)
    # The receiving screening comes before a bed.
    screen_at_intake(booking)
    bed = Bed.objects.filter(cell__unit__zone__facility=facility, cell__code=held.cell).first()
    if bed is not None:
        bed_assign(
            actor=User.objects.get(username="tsunade") if held.housing_override else classifier,
            booking=booking, bed=bed, reason="Demo population",
            override_reason=held.housing_override,
            # Housed the hour they were booked, not the moment the demo loads.
            at=booking.booked_at + dt.timedelta(minutes=20),
        )  # fmt: skip
    booking.refresh_from_db()
    booking = bs.booking_transition(actor=clerk, booking=booking, to=BookingStatus.IN_CUSTODY)
    _classify(booking, held)
    return booking


def _flag(booking: Booking, held: DemoHeld) -> None:
    """The flags of ``held`` that ``booking`` does not carry yet."""
    classifier = User.objects.get(username="ibiki")
    for kind, detail, reason in held.flags:
        if not Flag.objects.filter(
            active_flags_q(clock.now()), booking=booking, kind=kind, detail=detail
        ).exists():
            flag_set(actor=classifier, booking=booking, kind=kind, detail=detail, reason=reason)


def _classify(booking: Booking, held: DemoHeld) -> None:
    """The initial assessment, PREA screenings and staff conflict of ``held``, if missing."""
    classifier = User.objects.get(username="ibiki")
    if held.assessment is not None and not Assessment.objects.filter(booking=booking).exists():
        level, why = held.override or ("", "")
        assessment = assessment_record(
            actor=classifier, booking=booking, answers=held.assessment, override_level=level,
            override_reason=why,
        )  # fmt: skip
        if held.override is not None:
            # The second person: the commander approves the classification officer's override.
            assessment_override_decide(
                actor=User.objects.get(username="tsunade"), assessment=assessment,
                approve=True, note="Agreed.",
            )  # fmt: skip
    if held.prea is not None and not PreaScreening.objects.filter(booking=booking).exists():
        answers = {
            code: code in held.prea for code in [*prea.VICTIM_CRITERIA, *prea.ABUSER_CRITERIA]
        }
        prea_screening_record(actor=classifier, booking=booking, answers=answers)
        if held.prea_reassessed:
            prea_screening_record(
                actor=classifier, booking=booking, answers=answers, kind=PreaKind.REASSESSMENT,
                notes="Nothing has changed since intake.",
            )  # fmt: skip
    if held.staff_victim is not None:
        username, reason = held.staff_victim
        staff = User.objects.get(username=username)
        if not StaffConflict.objects.filter(
            person=booking.person, staff=staff, ended_at__isnull=True
        ).exists():
            staff_conflict_create(
                actor=classifier, facility=booking.facility, person=booking.person, staff=staff,
                kind=ConflictKind.ALLEGED_VICTIM, reason=reason,
            )  # fmt: skip


# --- The shift in progress: case files 2 and 3 as the demo opens ---------------------

_SHIFT_STAFF = ("tsunade", "shizune", "hiroki", "izumo", "kotetsu")

# Who is on which post this shift; the lower level's gate is left unstaffed.
POSTS_THIS_SHIFT = {"END": ("izumo", "kotetsu"), "MAIN-DESK": ("hiroki",)}

# The main block's day (local times): an hour in the yard, two at work with others.
ROUTINE = (
    (Destination.EXERCISE_YARD, "Main yard", dt.time(9), dt.time(10)),
    (Destination.PROGRAMME, "Workshop", dt.time(14), dt.time(16)),
)

# The rounds of the last hour in the main block: minutes ago, and the officer.
ROUNDS_OF_THE_HOUR = ((50, "hiroki"), (30, "izumo"), (10, "hiroki"))

# Index of lunch in policy.meal_times (breakfast, lunch, dinner).
LUNCH = 1


def _shift_in_progress(facility: Facility) -> None:
    """Today's custody records, each written only when missing (a reload adds nothing).

    Facts in the past are recorded with the services' ``at``: Naruto's chains on
    the day he was booked, and nothing since (no check, no round, no movement);
    Sasuke's bindings with their checks; a missed lunch; the yard and work of
    the main block yesterday and today; rounds of the main block in the last hour.
    """
    now = clock.now()
    staff = {user.username: user for user in User.objects.filter(username__in=_SHIFT_STAFF)}
    held = {
        booking.person.given_name: booking
        for booking in Booking.objects.filter(
            facility=facility, status__in=OPEN_STATUSES
        ).select_related("person")
    }
    _counts_today(facility, now, staff)
    _posts_this_shift(facility, now, staff)
    if "Naruto" in held:
        _chained_since_booking(held["Naruto"], staff)
    if "Sasuke" in held:
        _wrists_bound(held["Sasuke"], now, staff)
        _lunch_missed(held["Sasuke"], now, staff)
    if "Kakashi" in held:
        _dents_a_bar(held["Kakashi"], staff)
    _daily_routine(facility, now, staff)
    _rounds_of_the_main_block(facility, now, staff)


def _counts_today(facility: Facility, now: dt.datetime, staff: dict[str, User]) -> None:
    """Every formal count due in the last day, counted as expected and cleared by Shizune.

    A count is taken five minutes after its time, or, when the population was
    housed later than that, as soon as it was (a count of empty cells says nothing).
    """
    zone = facility.timezone
    times = parse_times(policy_of(facility).formal_count_times)
    housed = BedAssignment.objects.filter(
        ended_at__isnull=True, booking__facility=facility
    ).aggregate(last=Max("started_at"))["last"]
    for slot in slots_between(now - dt.timedelta(days=1), now, times, zone):
        if FormalCount.objects.filter(facility=facility, scheduled_for=slot.starts_at).exists():
            continue
        started = min(max(slot.starts_at + dt.timedelta(minutes=5), housed or now), now)
        count = count_start(
            actor=staff["shizune"], facility=facility, method=CountMethod.HEAD,
            scheduled_for=slot.starts_at, at=started,
        )  # fmt: skip
        counted = min(started + dt.timedelta(minutes=10), now)
        for sheet in CountSheet.objects.filter(count=count).select_related("count__facility"):
            count_sheet_record(
                actor=staff["hiroki"], sheet=sheet, counted=sheet.expected, at=counted
            )
        count_clear(
            actor=staff["shizune"], count=count, at=min(counted + dt.timedelta(minutes=5), now)
        )


def _posts_this_shift(facility: Facility, now: dt.datetime, staff: dict[str, User]) -> None:
    shift = current_shift(facility, now)
    for code, officers in POSTS_THIS_SHIFT.items():
        post = GuardPost.objects.get(facility=facility, code=code)
        for username in officers:
            if not PostAssignment.objects.filter(
                post=post, officer=staff[username], shift_date=shift.day, shift=shift.index,
                relieved_at__isnull=True,
            ).exists():  # fmt: skip
                post_assign(
                    actor=staff["shizune"], post=post, officer=staff[username],
                    shift_date=shift.day, shift=shift.index,
                )  # fmt: skip


def _chained_since_booking(naruto: Booking, staff: dict[str, User]) -> None:
    """Case file 2: chained in ISO-1 on the day he was booked, never checked since."""
    if Restraint.objects.filter(booking=naruto).exists():
        return
    restraint_apply(
        actor=staff["hiroki"], booking=naruto, kind=RestraintKind.CHAINS,
        purpose=RestraintPurpose.SAFETY,
        reason="The council's order: the fox's host is chained in the isolation cell.",
        authorised_by=staff["tsunade"], at=naruto.booked_at + dt.timedelta(minutes=30),
    )  # fmt: skip


def _wrists_bound(sasuke: Booking, now: dt.datetime, staff: dict[str, User]) -> None:
    """Case file 3: his wrists bound forty minutes before the demo opens, checked since."""
    if Restraint.objects.filter(booking=sasuke).exists():
        return
    bindings = restraint_apply(
        actor=staff["hiroki"], booking=sasuke, kind=RestraintKind.WRIST_BINDINGS,
        purpose=RestraintPurpose.SAFETY, reason="Attacked the door officers; sharingan active.",
        assisted_by=staff["izumo"], authorised_by=staff["shizune"],
        at=now - dt.timedelta(minutes=40),
    )  # fmt: skip
    for minutes, username in ((25, "izumo"), (10, "kotetsu")):
        restraint_check_record(
            actor=staff[username], restraint=bindings, note="Circulation fine.",
            at=now - dt.timedelta(minutes=minutes),
        )  # fmt: skip


def _lunch_missed(sasuke: Booking, now: dt.datetime, staff: dict[str, User]) -> None:
    """Case file 3: he missed the last lunch served (today's, once it is past noon)."""
    zone = sasuke.facility.timezone
    lunch_time = parse_times(policy_of(sasuke.facility).meal_times)[LUNCH]
    day = local_date(now, zone)
    if at_local(day, lunch_time, zone) > now:
        day -= dt.timedelta(days=1)
    if MealRecord.objects.filter(booking=sasuke, meal_date=day, meal=LUNCH).exists():
        return
    served = at_local(day, lunch_time, zone)
    meal_record(
        actor=staff["izumo"], booking=sasuke, outcome=MealOutcome.MISSED, meal_date=day,
        meal=LUNCH, note="The tray came back untouched.",
        at=min(served + dt.timedelta(minutes=30), now),
    )  # fmt: skip


def _dents_a_bar(kakashi: Booking, staff: dict[str, User]) -> None:
    """Case file 1, step 6: talking with Tsunade, he dents a chakra-suppression bar.

    The incident marks the bars of his cell compromised, so the cell is no longer
    lawful for him: the bed board lists him to re-house, with the beds it proposes.
    """
    if Incident.objects.filter(people=kakashi, kind=IncidentKind.PROPERTY_DAMAGE).exists():
        return
    bed = BedAssignment.objects.get(booking=kakashi, ended_at__isnull=True).bed
    incident_report(
        actor=staff["tsunade"], facility=kakashi.facility, kind=IncidentKind.PROPERTY_DAMAGE,
        narrative=(
            "While speaking with the Hokage at his cell door, he gripped a bar and dented it: "
            "the chakra-suppression seal on the bar is broken."
        ),
        occurred_at=kakashi.booked_at + dt.timedelta(hours=4), cell=bed.cell,
        people=[kakashi], damaged_feature="chakra-suppression",
    )  # fmt: skip


def _daily_routine(facility: Facility, now: dt.datetime, staff: dict[str, User]) -> None:
    """Yesterday's and today's yard and work for the main block: nobody there is in solitary.

    Only outings over an hour before the demo opens are recorded; Naruto, in the
    lower level, has none.
    """
    zone = facility.timezone
    today = local_date(now, zone)
    held = Booking.objects.filter(
        facility=facility, status__in=OPEN_STATUSES,
        bed_assignments__ended_at__isnull=True,
        bed_assignments__bed__cell__unit__zone__code="MAIN",
    )  # fmt: skip
    for booking in held:
        for day in (today - dt.timedelta(days=1), today):
            for destination, detail, leaves, returns in ROUTINE:
                left_at = at_local(day, leaves, zone)
                back_at = at_local(day, returns, zone)
                if left_at < booking.booked_at or back_at > now - dt.timedelta(hours=1):
                    continue
                if Movement.objects.filter(booking=booking, left_at=left_at).exists():
                    continue
                outing = movement_start(
                    actor=staff["hiroki"], booking=booking, destination=destination,
                    destination_detail=detail, escort=staff["hiroki"],
                    expected_return_at=back_at, reason="Daily routine", at=left_at,
                )  # fmt: skip
                movement_return(actor=staff["hiroki"], movement=outing, at=back_at)


def _rounds_of_the_main_block(facility: Facility, now: dt.datetime, staff: dict[str, User]) -> None:
    """Ordinary rounds in the last hour for everyone housed in the main block (not Naruto).

    A round before the person was housed cannot be; those fall on the moment they were.
    """
    housed = BedAssignment.objects.filter(
        ended_at__isnull=True, booking__facility=facility, bed__cell__unit__zone__code="MAIN"
    ).select_related("booking__facility", "booking__person")
    for assignment in housed:
        booking = assignment.booking
        if RoundCheck.objects.filter(booking=booking).exists():
            continue
        rounds = {
            max(now - dt.timedelta(minutes=minutes), assignment.started_at): username
            for minutes, username in ROUNDS_OF_THE_HOUR
        }
        for moment, username in sorted(rounds.items()):
            round_check_record(
                actor=staff[username], booking=booking, status=CheckStatus.SEEN_WELL, at=moment
            )


def demo_time_line(facility: Facility) -> str:
    """The moment the case files are set around: now, when the commander's shift begins."""
    local = clock.local(clock.now(), facility.timezone)
    return (
        f"Demo time: {local:%A %d %B %Y, %H:%M} in Konoha ({facility.timezone}). "
        "Naruto has been in the dark for 90 days; Sakura treats Sasuke in his cell tonight; "
        "Kakashi, sentenced yesterday, has dented his bars, and Sakura visits him tomorrow "
        "at noon."
    )


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, roles, who) for the printed table."""
    return [(s.username, ", ".join(r.value for r in s.roles), s.note) for s in STAFF]
