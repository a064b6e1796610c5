"""The inmate profile page's sections: a registry that later apps extend.

The profile (``booking:profile``) shows a header (photo, identity, status,
housing, flags, checklist summary) and then, in order, every section of
``SECTIONS`` that the viewer's roles allow at the booking's facility.

A section is a ``ProfileSection``: a key, a title, a template, the
permission it needs and a ``context(request, booking)`` callable that fetches
its own data in a few queries (never one per row: the page's query count
must not grow with the record).  Its template is included inside the page,
so it sees the page's context (``booking``, ``person``, ``tz``,
``can_create``, ``user``, ``csrf_token`` ...) plus ``section`` (the
``ProfileSection``) and ``data`` (what ``context`` returned).

Later apps add their own sections from their ``AppConfig.ready()``::

    from cellblock.booking.profile import ProfileSection, register

    class CustodyConfig(AppConfig):
        def ready(self) -> None:
            from cellblock.custody.profile import custody_context

            register(
                ProfileSection(
                    key="custody", title="Custody", template="custody/profile_section.html",
                    perm=Perm.BOOKING_VIEW, context=custody_context,
                ),
                after="housing",
            )

Classification, custody, visits, a medical summary (with a permission that
only clinical staff hold), court and release are expected to do so.
Registering a key again replaces the earlier section, so ``ready()`` may run
twice (as it does in some test set-ups) without doubling a section.

The loaders below (``profile_checklist``, ``profile_flags``, ``profile_beds``)
remember their answer on the booking object, so the header and the sections
share one query each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.http import HttpRequest

from cellblock.booking.checklist import StepState, owner_label
from cellblock.booking.models import Booking, Charge, IntakeStepCode, PropertyItem, PropertyKind
from cellblock.booking.selectors import ChecklistRow, booking_checklist, checklist_summary
from cellblock.classification.models import FLAG_TONE, Flag
from cellblock.core import clock
from cellblock.core.access import user_has_perm
from cellblock.core.roles import Perm
from cellblock.housing.models import BedAssignment

PENDING_STEP = "Recorded by the {owner} module, which does not record it yet."


@dataclass(frozen=True)
class ProfileSection:
    key: str
    title: str
    template: str
    perm: Perm
    context: Callable[[HttpRequest, Booking], dict[str, Any]]


# In display order.
SECTIONS: list[ProfileSection] = []


def register(section: ProfileSection, *, after: str | None = None) -> None:
    """Add ``section`` at the end, or right after the section keyed ``after``."""
    SECTIONS[:] = [existing for existing in SECTIONS if existing.key != section.key]
    if after is None:
        SECTIONS.append(section)
        return
    for index, existing in enumerate(SECTIONS):
        if existing.key == after:
            SECTIONS.insert(index + 1, section)
            return
    raise ValueError(f"No profile section {after!r} to place {section.key!r} after.")


def sections_for(
    request: HttpRequest, booking: Booking
) -> list[tuple[ProfileSection, dict[str, Any]]]:
    """The sections the user may see at the booking's facility, each with its data."""
    perms = request.user.perms_at(booking.facility_id)  # type: ignore[union-attr]
    return [
        (section, section.context(request, booking))
        for section in SECTIONS
        if section.perm in perms
    ]


# --- Shared loaders: one query each per page --------------------------------

T = TypeVar("T")


def _remembered(booking: Booking, key: str, load: Callable[[], T]) -> T:
    cache: dict[str, Any] = booking.__dict__.setdefault("_profile_cache", {})
    if key not in cache:
        cache[key] = load()
    value: T = cache[key]
    return value


def profile_checklist(booking: Booking) -> list[ChecklistRow]:
    return _remembered(booking, "checklist", lambda: booking_checklist(booking))


def profile_flags(booking: Booking) -> list[Flag]:
    """Every flag of the booking, active and lifted, newest first."""
    return _remembered(
        booking,
        "flags",
        lambda: list(
            Flag.objects.filter(booking=booking)
            .select_related("set_by", "lifted_by")
            .order_by("-set_at", "-id")
        ),
    )


def profile_beds(booking: Booking) -> list[BedAssignment]:
    """The booking's bed assignments, newest first (the open one is the current bed)."""
    return _remembered(
        booking,
        "beds",
        lambda: list(
            BedAssignment.objects.filter(booking=booking)
            .select_related("bed__cell__unit")
            .order_by("-started_at", "-id")
        ),
    )


def flag_is_active(flag: Flag, now: dt.datetime) -> bool:
    return flag.lifted_at is None and (flag.until is None or flag.until > now)


def active_flags(booking: Booking) -> list[Flag]:
    now = clock.now()
    return sorted(
        (flag for flag in profile_flags(booking) if flag_is_active(flag, now)),
        key=lambda flag: flag.kind,
    )


def current_bed(booking: Booking) -> BedAssignment | None:
    return next((a for a in profile_beds(booking) if a.ended_at is None), None)


def header_context(booking: Booking) -> dict[str, Any]:
    """What the page header shows beside the person's identity."""
    return {
        "current_bed": current_bed(booking),
        "active_flags": [
            (flag, FLAG_TONE.get(flag.kind, "muted")) for flag in active_flags(booking)
        ],
        "checklist_counts": checklist_summary(profile_checklist(booking)),
    }


# --- Built-in sections --------------------------------------------------------


@dataclass(frozen=True)
class StepRow:
    row: ChecklistRow
    pending_text: str

    @property
    def state(self) -> str:
        return self.row.state


def checklist_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    rows = [
        StepRow(
            row,
            PENDING_STEP.format(owner=owner_label(row.step.step))
            if row.state == StepState.PENDING
            else "",
        )
        for row in profile_checklist(booking)
    ]
    return {"rows": rows, "now": clock.now()}


def identity_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    description = [
        ("Height", f"{booking.height_cm} cm" if booking.height_cm else ""),
        ("Weight", f"{booking.weight_kg} kg" if booking.weight_kg else ""),
        ("Build", booking.build),
        ("Eyes", booking.eye_colour),
        ("Hair", booking.hair_colour),
    ]
    return {
        "identifiers": list(booking.person.identifiers.all()),
        "description": [(label, value) for label, value in description if value],
        "booked_by": booking.booked_by,
    }


def charges_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    charges = list(Charge.objects.filter(booking=booking).select_related("added_by"))
    return {"charges": charges, "counts": sum(charge.counts for charge in charges)}


def property_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    items = list(
        PropertyItem.objects.filter(booking=booking).select_related("recorded_by", "returned_by")
    )
    signed = next(
        (
            row.step
            for row in profile_checklist(booking)
            if row.step.step == IntakeStepCode.PROPERTY and row.step.completed_at is not None
        ),
        None,
    )
    return {
        "taken": [item for item in items if item.kind == PropertyKind.TAKEN],
        "issued": [item for item in items if item.kind == PropertyKind.ISSUED],
        "held": sum(1 for item in items if item.returned_at is None),
        "signed": signed,
        # Release staff hand property back here, also after the booking closed.
        "can_return": user_has_perm(request.user, Perm.BOOKING_RELEASE, booking.facility_id),
        "booking_number": booking.booking_number,
    }


def flags_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    now = clock.now()
    flags = profile_flags(booking)
    return {
        "active": [(f, FLAG_TONE.get(f.kind, "muted")) for f in flags if flag_is_active(f, now)],
        "past": [f for f in flags if not flag_is_active(f, now)],
    }


def housing_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    return {"current": current_bed(booking), "history": profile_beds(booking)}


def custody_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    """Observation, restraints, movement, time out of cell and the solitary streak now."""
    from cellblock.compliance.selectors import custody_summary

    return {"custody": custody_summary(booking, clock.now())}


def alerts_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    """The compliance alerts about this person now (the board's rules, for one booking)."""
    from cellblock.compliance.selectors import alerts

    return {"alerts": alerts(booking.facility, clock.now(), booking=booking)}


_BUILT_IN = (
    ("checklist", "Intake checklist", "booking/profile/checklist.html", Perm.BOOKING_VIEW,
     checklist_context),
    ("identity", "Identity and description", "booking/profile/identity.html", Perm.PERSON_VIEW,
     identity_context),
    ("charges", "Charges", "booking/profile/charges.html", Perm.BOOKING_VIEW, charges_context),
    ("property", "Property", "booking/profile/property.html", Perm.BOOKING_VIEW,
     property_context),
    ("flags", "Flags", "booking/profile/flags.html", Perm.BOOKING_VIEW, flags_context),
    ("housing", "Housing", "booking/profile/housing.html", Perm.HOUSING_VIEW, housing_context),
    ("custody", "Custody", "custody/days/profile_custody.html", Perm.BOOKING_VIEW,
     custody_context),
    ("alerts", "Alerts", "compliance/profile_alerts.html", Perm.COMPLIANCE_VIEW, alerts_context),
)  # fmt: skip
for _key, _title, _template, _perm, _context in _BUILT_IN:
    register(ProfileSection(_key, _title, _template, _perm, _context))
