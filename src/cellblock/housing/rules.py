"""The housing rule book: pure functions over plain data that return violations.

Every decision about where a person may sleep goes through these functions:
the alerts raised when a new order or flag makes a current placement
unlawful (classification), manual moves and the bed board, the optimising
engine and its explanations (housing).  They take dataclasses, not models, so
the engine can call them without Django and tests can call them without a
database.

A violation is *hard* (never allowed) or *soft* (allowed at a price).  Its
``subject`` says what it is about (the order, the feature, the cellmate), so
an alert is raised once per cause and cleared when that cause is gone.
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

CONTAINMENT_MISSING = "containment_missing"
OUT_OF_SERVICE = "out_of_service"
JUVENILE_IN_ADULT_UNIT = "juvenile_in_adult_unit"
JUVENILE_WITH_ADULTS = "juvenile_with_adults"
KEEP_SEPARATE = "keep_separate"
PREA_PAIRING = "prea_pairing"

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


def juvenile_violations(
    resident: Resident, place: Place, unit_mates: Iterable[Resident]
) -> list[Violation]:
    """Sight-and-sound separation of juveniles from adults, in both directions."""
    mates = [mate for mate in unit_mates if mate.key != resident.key]
    if resident.juvenile:
        found = []
        if place.unit_age_group == ADULT_UNIT:
            found.append(
                Violation(
                    JUVENILE_IN_ADULT_UNIT,
                    MESSAGES[JUVENILE_IN_ADULT_UNIT].format(
                        person=resident.label, unit=place.unit_label
                    ),
                    subject=f"{JUVENILE_IN_ADULT_UNIT}:{place.unit}",
                )
            )
        adults = sorted(mate.label for mate in mates if not mate.juvenile)
        # One alert on the juvenile, not one per adult of the unit: moving the juvenile
        # is the remedy.
        if adults:
            found.append(
                Violation(
                    JUVENILE_WITH_ADULTS,
                    MESSAGES[JUVENILE_WITH_ADULTS].format(
                        person=resident.label, unit=place.unit_label, others=", ".join(adults)
                    ),
                    subject=f"{JUVENILE_WITH_ADULTS}:{place.unit}",
                )
            )
        return found
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


def placement_violations(
    resident: Resident,
    place: Place,
    *,
    housed: Sequence[tuple[Resident, Place]],
    separations: Sequence[Separation],
) -> list[Violation]:
    """All rules for ``resident`` in ``place``, given who else is ``housed`` where.

    ``housed`` needs everyone in the same unit, and the other parties of the
    resident's keep-separate orders wherever they are; more does no harm.
    """
    unit_mates = [r for r, p in housed if p.facility == place.facility and p.unit == place.unit]
    cellmates = [r for r, p in housed if p.facility == place.facility and p.cell == place.cell]
    return [
        *service_violations(resident, place),
        *containment_violations(resident, place),
        *juvenile_violations(resident, place, unit_mates),
        *separation_violations(resident, place, housed, separations),
        *prea_pairing_violations(resident, place, cellmates),
    ]
