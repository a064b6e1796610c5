"""What the visit page tests share: a person held, visitors on their list, visits booked and run.

Everything goes through the services with personas, as at the desk; the
clock stands at NOW (Saturday noon, UTC) and travels with ``clock.shift``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.visits.models import Relationship, Visit, VisitKind, Visitor, VisitRoom
from cellblock.visits.services.day import (
    IdentityCheck,
    visit_check_in,
    visit_end,
    visit_start,
)
from cellblock.visits.services.registry import visiting_list_add, visiting_list_decide
from cellblock.visits.services.scheduling import visit_schedule
from cellblock.visits.tests.conftest import TOMORROW_2PM

# Half an hour before tomorrow's 14:00 visit: the desk is open for it.
DESK_OPENS = TOMORROW_2PM - dt.timedelta(minutes=30)


@pytest.fixture(name="kakashi")
def kakashi_fixture(clock: Any, hold: Callable[..., Booking]) -> Booking:
    return hold("Hatake", given_name="Kakashi")


@pytest.fixture(name="ino")
def ino_fixture(make_visitor: Callable[..., Visitor]) -> Visitor:
    return make_visitor("Ino", "Yamanaka", id_number="VR-100")


def listed(booking: Booking, actor: User, *visitors: Visitor) -> None:
    """Put the visitors on the person's visiting list and approve them."""
    for visitor in visitors:
        entry = visiting_list_add(
            actor=actor, booking=booking, visitor=visitor, relationship=Relationship.FRIEND
        )
        visiting_list_decide(actor=actor, entry=entry, approve=True)


def book(
    actor: User,
    booking: Booking,
    visitors: Sequence[Visitor],
    room: VisitRoom | None,
    *,
    starts_at: dt.datetime = TOMORROW_2PM,
    kind: str | None = None,
) -> Visit:
    return visit_schedule(
        actor=actor, booking=booking,
        kind=kind or (VisitKind.CONTACT if room else VisitKind.IN_CELL),
        visitors=list(visitors), starts_at=starts_at, room=room,
    )  # fmt: skip


def checked_in(actor: User, visit: Visit, visitors: Sequence[Visitor]) -> Visit:
    checks = [
        IdentityCheck(visitor=v, id_kind=v.id_kind or "village_registry", id_number=v.id_number)
        for v in visitors
    ]
    return visit_check_in(actor=actor, visit=visit, checks=checks)


def running(actor: User, visit: Visit, visitors: Sequence[Visitor]) -> Visit:
    return visit_start(actor=actor, visit=checked_in(actor, visit, visitors))


def ended(actor: User, visit: Visit, visitors: Sequence[Visitor]) -> Visit:
    return visit_end(actor=actor, visit=running(actor, visit, visitors))
