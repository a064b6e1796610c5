"""The housing rule book: pure functions over plain data that return violations.

Every decision about where a person may sleep goes through these functions:
the alerts raised when a new order or flag makes a current placement
unlawful (classification), manual moves and the bed board, the optimising
engine and its explanations (housing).  They take dataclasses, not models, so
the engine can call them without Django and tests can call them without a
database.

A violation is *hard* (never allowed) or *soft* (allowed at a price, its
``cost``).  Its ``subject`` says what it is about (the order, the feature, the
cellmate), so an alert is raised once per cause and cleared when that cause is
gone.

The rules come in two kinds.  ``place_violations`` depends only on the person
and the bed (sex, age group, custody level, features, care needs, the price of
a move or of the walk to medical): the engine evaluates it once per kind of
person and kind of cell.  ``company_violations`` depends on who else is housed
where (the bed taken, keep-separate orders, PREA pairing, single cells,
juveniles among adults, crowding).  ``placement_violations`` is both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Scopes of keep-separate orders, narrowest first; each includes the ones before it.
SCOPE_CELL = "cell"
SCOPE_UNIT = "unit"
SCOPE_FACILITY = "facility"
SCOPE_TOTAL = "total"

ADULT_UNIT = "adult"
JUVENILE_UNIT = "juvenile"
ANY = "any"

# Unit ratings and custody levels, lowest first: a level may sleep in a unit rated at or above it.
RATING_ORDER = ("minimum", "medium", "maximum", "special")
# Until the first assessment a person is housed as medium custody (reception housing).
UNASSESSED_LEVEL = "medium"

# Care needs (the detail of medical and disability flags) and what they ask of the bed.
NEED_LOWER_BUNK = "lower-bunk"
NEED_WHEELCHAIR = "wheelchair-cell"
NEED_NEAR_MEDICAL = "near-medical"
NEED_MEDICAL_MONITORING = "medical-monitoring"
WHEELCHAIR_FEATURE = "wheelchair-accessible"
# Needs priced by the walk to the medical unit rather than refused.
NEAR_MEDICAL_NEEDS = frozenset({NEED_NEAR_MEDICAL, NEED_MEDICAL_MONITORING})

# Prices of the soft rules, in one currency so the engine, a manual move and a
# recommendation weigh them alike.  Leaving someone unplaced costs more than any
# lawful bed could.
COST_MOVE = 100
COST_PER_CELLMATE = 10
COST_PER_MINUTE_TO_MEDICAL = 5
COST_UNPLACED = 100_000

CONTAINMENT_MISSING = "containment_missing"
OUT_OF_SERVICE = "out_of_service"
JUVENILE_IN_ADULT_UNIT = "juvenile_in_adult_unit"
JUVENILE_WITH_ADULTS = "juvenile_with_adults"
KEEP_SEPARATE = "keep_separate"
PREA_PAIRING = "prea_pairing"
BED_OCCUPIED = "bed_occupied"
SEX_MISMATCH = "sex_mismatch"
ADULT_IN_JUVENILE_UNIT = "adult_in_juvenile_unit"
CUSTODY_ABOVE_RATING = "custody_above_rating"
RESTRICTIVE_HOUSING_REQUIRED = "restrictive_housing_required"
RESTRICTIVE_HOUSING_UNAUTHORISED = "restrictive_housing_unauthorised"
SINGLE_CELL = "single_cell"
CARE_NEED_UNMET = "care_need_unmet"
# Soft.
MOVE = "move"
CROWDING = "crowding"
MEDICAL_DISTANCE = "medical_distance"

MESSAGES = {
    OUT_OF_SERVICE: "{person} is in {cell}, which is out of service.",
    CONTAINMENT_MISSING: "{person} needs a cell with working {feature}; {cell} has none.",
    JUVENILE_IN_ADULT_UNIT: (
        "{person} is under 18 and housed in {unit}, an adult unit (no sight or sound "
        "contact with adults: PREA 115.14)."
    ),
    JUVENILE_WITH_ADULTS: (
        "{person} is under 18 and shares {unit} with adults: {others} (PREA 115.14)."
    ),
    KEEP_SEPARATE: (
        "{person} and {other} are under a keep-separate order ({scope}) and both in {where}."
    ),
    PREA_PAIRING: (
        "{person} shares cell {cell} with {other}: a high abuser risk and a high victim "
        "risk never share a cell (PREA 115.42)."
    ),
    BED_OCCUPIED: "{bed} is taken by {other}.",
    SEX_MISMATCH: "{person} is {sex}; {unit} houses {served} only.",
    ADULT_IN_JUVENILE_UNIT: "{person} is an adult; {unit} houses people under 18 only.",
    CUSTODY_ABOVE_RATING: "{person} is {level} custody; {unit} is rated {rating}.",
    RESTRICTIVE_HOUSING_REQUIRED: (
        "{person} is placed in restrictive housing; {unit} is not a restrictive housing unit."
    ),
    RESTRICTIVE_HOUSING_UNAUTHORISED: (
        "{unit} is restrictive housing; {person} has no authorised restrictive housing placement."
    ),
    SINGLE_CELL: "{person} must be single-celled; {cell} also holds {other}.",
    CARE_NEED_UNMET: "{person} needs {need}; {where} does not offer it.",
    MOVE: "{person} would move from the bed they sleep in now.",
    CROWDING: "{cell} would hold {count} people.",
    MEDICAL_DISTANCE: "{person} needs to be near medical; {unit} is {minutes} min away.",
}

# How the sex rule names a person's recorded sex.
SEX_WORDS = {
    "male": "male",
    "female": "female",
    "intersex": "intersex",
    "unknown": "of unrecorded sex",
}


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    hard: bool = True
    # What it is about: "keep_separate:<order id>", "containment_missing:chakra-suppression" ...
    subject: str = ""
    # The other placements (their keys) that break the same rule with this one: they carry
    # the mirror violation, so an alert is raised, and cleared, on both sides.
    others: tuple[str, ...] = ()
    # The price of a soft violation (0 for hard ones): see the COST_ constants.
    cost: int = 0


@dataclass(frozen=True)
class Resident:
    """A person as the rules see them."""

    # The booking number: identifies the placement.
    key: str
    # The person's id: orders are between people, not bookings.
    person: str
    label: str
    juvenile: bool = False
    # Cell-feature tags the cell must have in working order.
    containment: frozenset[str] = frozenset()
    prea_victim: bool = False
    prea_abuser: bool = False
    # Security groups the person belongs to (their ids).
    groups: frozenset[str] = frozenset()
    # male, female, intersex or unknown (people.Sex).
    sex: str = "unknown"
    # The custody level in force; blank until the first assessment.
    custody_level: str = ""
    single_cell: bool = False
    # An authorised restrictive housing placement.
    restrictive_housing: bool = False
    # What the bed must offer: lower-bunk, wheelchair-cell, near-medical, medical-monitoring.
    care_needs: frozenset[str] = frozenset()
    # The bed (Place.bed) they sleep in now, if housed: moving them is priced.
    current_bed: str = ""


@dataclass(frozen=True)
class Place:
    facility: str
    unit: str
    cell: str
    # How staff name them: "Main cell block", "Main cell block / C-07".
    unit_label: str
    cell_label: str
    unit_age_group: str = ADULT_UNIT
    working_features: frozenset[str] = field(default_factory=frozenset)
    facility_label: str = ""
    # The bed or its cell taken out of service (damaged bars, flooding ...).
    out_of_service: bool = False
    # The bed itself: its key and how staff name it ("B"); blank when a rule is about the cell.
    bed: str = ""
    bed_label: str = ""
    lower_bunk: bool = False
    sex_served: str = ANY
    security_rating: str = "medium"
    restrictive_housing: bool = False
    # Walking minutes from the unit to the medical unit.
    minutes_to_medical: int = 0


@dataclass(frozen=True)
class Separation:
    """A keep-separate order: ``person`` from ``other_person`` or from every member of ``group``."""

    key: str
    person: str
    scope: str
    other_person: str | None = None
    group: str | None = None

    def binds(self, a: Resident, b: Resident) -> bool:
        """True when the order keeps ``a`` and ``b`` apart (in either direction)."""
        if self.other_person is not None:
            return {a.person, b.person} == {self.person, self.other_person}
        return (a.person == self.person and self.group in b.groups) or (
            b.person == self.person and self.group in a.groups
        )


def shares_scope(scope: str, here: Place, there: Place) -> bool:
    """Whether two places are too close for an order of ``scope``."""
    if scope == SCOPE_CELL:
        return here.facility == there.facility and here.cell == there.cell
    if scope == SCOPE_UNIT:
        return here.facility == there.facility and here.unit == there.unit
    return here.facility == there.facility


def _where(scope: str, place: Place, there: Place) -> str:
    """Where both are, as narrowly as it is true: the cell, the unit, or the facility."""
    if scope == SCOPE_CELL or place.cell == there.cell:
        return place.cell_label
    if place.unit == there.unit:
        return place.unit_label
    return place.facility_label or "the same facility"


def service_violations(resident: Resident, place: Place) -> list[Violation]:
    if not place.out_of_service:
        return []
    return [
        Violation(
            OUT_OF_SERVICE,
            MESSAGES[OUT_OF_SERVICE].format(person=resident.label, cell=place.cell_label),
            subject=f"{OUT_OF_SERVICE}:{place.cell}",
        )
    ]


def containment_violations(resident: Resident, place: Place) -> list[Violation]:
    return [
        Violation(
            CONTAINMENT_MISSING,
            MESSAGES[CONTAINMENT_MISSING].format(
                person=resident.label, feature=tag, cell=place.cell_label
            ),
            subject=f"{CONTAINMENT_MISSING}:{tag}",
        )
        for tag in sorted(resident.containment - place.working_features)
    ]


def juvenile_company_violations(
    resident: Resident, place: Place, unit_mates: Iterable[Resident]
) -> list[Violation]:
    """Sight-and-sound separation of juveniles from adults sharing a unit, in both directions."""
    mates = [mate for mate in unit_mates if mate.key != resident.key]
    if resident.juvenile:
        adults = sorted(mate.label for mate in mates if not mate.juvenile)
        # One alert on the juvenile, not one per adult of the unit: moving the juvenile
        # is the remedy.
        if not adults:
            return []
        return [
            Violation(
                JUVENILE_WITH_ADULTS,
                MESSAGES[JUVENILE_WITH_ADULTS].format(
                    person=resident.label, unit=place.unit_label, others=", ".join(adults)
                ),
                subject=f"{JUVENILE_WITH_ADULTS}:{place.unit}",
            )
        ]
    # An adult in a unit that holds juveniles: the juvenile's violation, raised on this placement.
    juveniles = [mate for mate in mates if mate.juvenile]
    return [
        Violation(
            JUVENILE_WITH_ADULTS,
            MESSAGES[JUVENILE_WITH_ADULTS].format(
                person=juvenile.label, unit=place.unit_label, others=resident.label
            ),
            subject=f"{JUVENILE_WITH_ADULTS}:{place.unit}:{juvenile.key}",
            others=(juvenile.key,),
        )
        for juvenile in sorted(juveniles, key=lambda mate: mate.key)
    ]


def separation_violations(
    resident: Resident,
    place: Place,
    others: Iterable[tuple[Resident, Place]],
    separations: Sequence[Separation],
) -> list[Violation]:
    """Every order ``resident`` in ``place`` would break against someone in ``others``."""
    found = []
    for other, there in others:
        if other.key == resident.key:
            continue
        for order in separations:
            if order.binds(resident, other) and shares_scope(order.scope, place, there):
                found.append(
                    Violation(
                        KEEP_SEPARATE,
                        MESSAGES[KEEP_SEPARATE].format(
                            person=resident.label, other=other.label, scope=order.scope,
                            where=_where(order.scope, place, there),
                        ),
                        subject=f"{KEEP_SEPARATE}:{order.key}:{other.key}",
                        others=(other.key,),
                    )
                )  # fmt: skip
    return found


def prea_pairing_violations(
    resident: Resident, place: Place, cellmates: Iterable[Resident]
) -> list[Violation]:
    found = []
    for mate in cellmates:
        if mate.key == resident.key:
            continue
        if (resident.prea_abuser and mate.prea_victim) or (
            resident.prea_victim and mate.prea_abuser
        ):
            found.append(
                Violation(
                    PREA_PAIRING,
                    MESSAGES[PREA_PAIRING].format(
                        person=resident.label, cell=place.cell_label, other=mate.label
                    ),
                    subject=f"{PREA_PAIRING}:{mate.key}",
                    others=(mate.key,),
                )
            )
    return found


def sex_violations(resident: Resident, place: Place) -> list[Violation]:
    """A single-sex unit houses that sex only; intersex and unrecorded sex need a mixed unit.

    Where a transgender or intersex person is housed is decided case by case
    (PREA 115.42(c)); until that decision is recorded as the person's sex, only
    a unit serving any sex is open to them.
    """
    if place.sex_served == ANY or resident.sex == place.sex_served:
        return []
    return [
        Violation(
            SEX_MISMATCH,
            MESSAGES[SEX_MISMATCH].format(
                person=resident.label, sex=SEX_WORDS.get(resident.sex, resident.sex),
                unit=place.unit_label, served=place.sex_served,
            ),
            subject=f"{SEX_MISMATCH}:{place.unit}",
        )
    ]  # fmt: skip


def age_group_violations(resident: Resident, place: Place) -> list[Violation]:
    """Juveniles never in an adult unit, adults never in a juvenile unit."""
    if resident.juvenile and place.unit_age_group == ADULT_UNIT:
        return [
            Violation(
                JUVENILE_IN_ADULT_UNIT,
                MESSAGES[JUVENILE_IN_ADULT_UNIT].format(
                    person=resident.label, unit=place.unit_label
                ),
                subject=f"{JUVENILE_IN_ADULT_UNIT}:{place.unit}",
            )
        ]
    if not resident.juvenile and place.unit_age_group == JUVENILE_UNIT:
        return [
            Violation(
                ADULT_IN_JUVENILE_UNIT,
                MESSAGES[ADULT_IN_JUVENILE_UNIT].format(
                    person=resident.label, unit=place.unit_label
                ),
                subject=f"{ADULT_IN_JUVENILE_UNIT}:{place.unit}",
            )
        ]
    return []


def rating_rank(value: str) -> int:
    return RATING_ORDER.index(value) if value in RATING_ORDER else len(RATING_ORDER)


def custody_violations(resident: Resident, place: Place) -> list[Violation]:
    level = resident.custody_level or UNASSESSED_LEVEL
    if rating_rank(level) <= rating_rank(place.security_rating):
        return []
    shown = resident.custody_level or f"not yet assessed (housed as {UNASSESSED_LEVEL})"
    return [
        Violation(
            CUSTODY_ABOVE_RATING,
            MESSAGES[CUSTODY_ABOVE_RATING].format(
                person=resident.label, level=shown, unit=place.unit_label,
                rating=place.security_rating,
            ),
            subject=f"{CUSTODY_ABOVE_RATING}:{place.unit}",
        )
    ]  # fmt: skip


def restrictive_housing_violations(resident: Resident, place: Place) -> list[Violation]:
    """Restrictive housing both ways: the placement needs the unit, the unit needs a placement."""
    if resident.restrictive_housing == place.restrictive_housing:
        return []
    code = RESTRICTIVE_HOUSING_REQUIRED if resident.restrictive_housing else (
        RESTRICTIVE_HOUSING_UNAUTHORISED
    )  # fmt: skip
    return [
        Violation(
            code,
            MESSAGES[code].format(person=resident.label, unit=place.unit_label),
            subject=f"{code}:{place.unit}",
        )
    ]


def care_need_violations(resident: Resident, place: Place) -> list[Violation]:
    """Hard care needs (lower bunk, wheelchair cell); the walk to medical is priced."""
    found = []
    if NEED_LOWER_BUNK in resident.care_needs and place.bed and not place.lower_bunk:
        where = f"{place.cell_label} bed {place.bed_label or place.bed}"
        found.append(
            Violation(
                CARE_NEED_UNMET,
                MESSAGES[CARE_NEED_UNMET].format(
                    person=resident.label, need="a lower bunk", where=where
                ),
                subject=f"{CARE_NEED_UNMET}:{NEED_LOWER_BUNK}",
            )
        )
    if NEED_WHEELCHAIR in resident.care_needs and WHEELCHAIR_FEATURE not in place.working_features:
        found.append(
            Violation(
                CARE_NEED_UNMET,
                MESSAGES[CARE_NEED_UNMET].format(
                    person=resident.label, need="a wheelchair-accessible cell",
                    where=place.cell_label,
                ),
                subject=f"{CARE_NEED_UNMET}:{NEED_WHEELCHAIR}",
            )
        )  # fmt: skip
    if resident.care_needs & NEAR_MEDICAL_NEEDS and place.minutes_to_medical > 0:
        found.append(
            Violation(
                MEDICAL_DISTANCE,
                MESSAGES[MEDICAL_DISTANCE].format(
                    person=resident.label, unit=place.unit_label,
                    minutes=place.minutes_to_medical,
                ),
                hard=False, subject=f"{MEDICAL_DISTANCE}:{place.unit}",
                cost=COST_PER_MINUTE_TO_MEDICAL * place.minutes_to_medical,
            )
        )  # fmt: skip
    return found


def move_violations(resident: Resident, place: Place) -> list[Violation]:
    if not resident.current_bed or not place.bed or place.bed == resident.current_bed:
        return []
    return [
        Violation(
            MOVE, MESSAGES[MOVE].format(person=resident.label), hard=False,
            subject=f"{MOVE}:{resident.current_bed}", cost=COST_MOVE,
        )
    ]  # fmt: skip


def place_violations(resident: Resident, place: Place) -> list[Violation]:
    """The rules that depend only on the person and the bed, not on who else is housed."""
    return [
        *service_violations(resident, place),
        *sex_violations(resident, place),
        *age_group_violations(resident, place),
        *custody_violations(resident, place),
        *containment_violations(resident, place),
        *restrictive_housing_violations(resident, place),
        *care_need_violations(resident, place),
        *move_violations(resident, place),
    ]


def bed_taken_violations(
    resident: Resident, place: Place, housed: Iterable[tuple[Resident, Place]]
) -> list[Violation]:
    if not place.bed:
        return []
    return [
        Violation(
            BED_OCCUPIED,
            MESSAGES[BED_OCCUPIED].format(
                bed=f"{place.cell_label} bed {place.bed_label or place.bed}", other=other.label
            ),
            subject=f"{BED_OCCUPIED}:{place.bed}",
            others=(other.key,),
        )
        for other, there in housed
        if other.key != resident.key and there.bed == place.bed
    ]


def single_cell_violations(
    resident: Resident, place: Place, cellmates: Sequence[Resident]
) -> list[Violation]:
    """A single-celled person shares with no one: raised on them and on each cellmate."""
    found = []
    for mate in cellmates:
        single = resident if resident.single_cell else mate if mate.single_cell else None
        if single is None:
            continue
        other = mate if single is resident else resident
        found.append(
            Violation(
                SINGLE_CELL,
                MESSAGES[SINGLE_CELL].format(
                    person=single.label, cell=place.cell_label, other=other.label
                ),
                subject=f"{SINGLE_CELL}:{mate.key}",
                others=(mate.key,),
            )
        )
    return found


def crowding_violations(
    resident: Resident, place: Place, cellmates: Sequence[Resident]
) -> list[Violation]:
    """Each cellmate is priced: spreading people over cells is better than doubling up."""
    if not cellmates:
        return []
    return [
        Violation(
            CROWDING,
            MESSAGES[CROWDING].format(cell=place.cell_label, count=len(cellmates) + 1),
            hard=False, subject=f"{CROWDING}:{place.cell}",
            cost=COST_PER_CELLMATE * len(cellmates),
        )
    ]  # fmt: skip


def company_violations(
    resident: Resident,
    place: Place,
    *,
    housed: Sequence[tuple[Resident, Place]],
    separations: Sequence[Separation],
) -> list[Violation]:
    """The rules that depend on who else is housed where."""
    others = [(r, p) for r, p in housed if r.key != resident.key]
    unit_mates = [r for r, p in others if p.facility == place.facility and p.unit == place.unit]
    cellmates = [r for r, p in others if p.facility == place.facility and p.cell == place.cell]
    return [
        *bed_taken_violations(resident, place, others),
        *juvenile_company_violations(resident, place, unit_mates),
        *separation_violations(resident, place, others, separations),
        *prea_pairing_violations(resident, place, cellmates),
        *single_cell_violations(resident, place, cellmates),
        *crowding_violations(resident, place, cellmates),
    ]


def placement_violations(
    resident: Resident,
    place: Place,
    *,
    housed: Sequence[tuple[Resident, Place]],
    separations: Sequence[Separation],
) -> list[Violation]:
    """All rules for ``resident`` in ``place``, given who else is ``housed`` where.

    ``housed`` needs everyone in the same unit, and the other parties of the
    resident's keep-separate orders wherever they are; more does no harm.  The
    resident's own entry in ``housed`` (their current bed) is ignored.
    """
    return [
        *place_violations(resident, place),
        *company_violations(resident, place, housed=housed, separations=separations),
    ]


def is_lawful(violations: Iterable[Violation]) -> bool:
    return not any(violation.hard for violation in violations)


def price(violations: Iterable[Violation]) -> int:
    """What the soft violations cost together."""
    return sum(violation.cost for violation in violations if not violation.hard)
