"""Shared fixtures: a small facility and one persona per role.

Personas (healthchecks-style): ``commander``, ``supervisor``, ``officer``,
``booking_clerk``, ``medic``, ``visits_clerk``, ``auditor``, ``admin_user``,
and ``outsider``, an officer-commander of another facility who must get 404s.
Everything is built through the services, so fixtures are audited like real work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from cellblock.accounts.models import User
from cellblock.accounts.services import membership_grant, user_create
from cellblock.audit.tests.support import flushable_audit_trail
from cellblock.booking.models import Booking
from cellblock.core.roles import Role
from cellblock.facilities import services as facility_services
from cellblock.facilities.models import Agency, Cell, Facility, HousingUnit, Zone

PASSWORD = "correct horse battery staple"  # noqa: S105


@pytest.fixture(autouse=True)
def flushable_audit_trail_after_transactional_tests(
    request: pytest.FixtureRequest,
) -> Iterator[None]:
    """Let a transactional test (threads, live server) end with Django's flush.

    The append-only triggers refuse the flush's DELETE/TRUNCATE of audit events;
    they are set aside for the flush and restored, with the head row, after it.
    Public name so ``from cellblock.conftest import *`` carries it to tests/.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        yield
        return
    # Set up after the database fixture, so this teardown runs before its flush.
    request.getfixturevalue("transactional_db")
    yield
    flushable_audit_trail()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is deliberately slow; tests create many accounts.  The argon2
    # setting itself is asserted in core/tests/test_settings.py.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class SmallFacility:
    agency: Agency
    facility: Facility
    zone: Zone
    unit: HousingUnit
    cells: list[Cell]


def build_facility(code: str, name: str) -> SmallFacility:
    agency = Agency.objects.filter(code="TEST").first() or facility_services.agency_create(
        actor=None, code="TEST", name="Test County"
    )
    facility = facility_services.facility_create(
        actor=None, agency=agency, code=code, name=name, timezone="UTC"
    )
    zone = facility_services.zone_create(actor=None, facility=facility, code="A", name="Block A")
    unit = facility_services.unit_create(actor=None, zone=zone, code="A1", name="Unit A1")
    cells = [
        facility_services.cell_create(
            actor=None, unit=unit, code=f"A1-{n}", beds=2, features=["lighting"]
        )
        for n in (1, 2)
    ]
    return SmallFacility(agency=agency, facility=facility, zone=zone, unit=unit, cells=cells)


@pytest.fixture
def site(db: None) -> SmallFacility:
    return build_facility("TST", "Test Jail")


@pytest.fixture
def other_site(db: None) -> SmallFacility:
    return build_facility("OTH", "Other Jail")


def screen_clear(booking: Booking, by: User | None = None) -> Booking:
    """Record a receiving screening that clears ``booking`` for a bed (the step before housing)."""
    from cellblock.medical.screening import CLEAR_ANSWERS
    from cellblock.medical.services.screening import screening_record

    screening_record(actor=by, booking=booking, answers=CLEAR_ANSWERS)
    return booking


def ready_for_bed(booking: Booking, by: User | None = None) -> Booking:
    """Screen ``booking`` clear unless its receiving screening is already done."""
    from cellblock.booking.models import IntakeStepCode

    screening_open = booking.intake_steps.filter(
        step=IntakeStepCode.MEDICAL_SCREENING, completed_at__isnull=True
    ).exists()
    return screen_clear(booking, by=by) if screening_open else booking


def make_staff(username: str, facility: Facility, *roles: str) -> User:
    user = user_create(
        actor=None, username=username, full_name=username.replace("_", " ").title(),
        password=PASSWORD, check_password_rules=False,
    )  # fmt: skip
    for role in roles:
        membership_grant(actor=None, user=user, facility=facility, role=role)
    return user


@pytest.fixture
def staff_factory(site: SmallFacility) -> Callable[..., User]:
    def make(username: str, *roles: str, facility: Facility | None = None) -> User:
        return make_staff(username, facility or site.facility, *roles)

    return make


@pytest.fixture
def commander(staff_factory: Callable[..., User]) -> User:
    return staff_factory("cara_commander", Role.COMMANDER)


@pytest.fixture
def supervisor(staff_factory: Callable[..., User]) -> User:
    return staff_factory("sam_supervisor", Role.SUPERVISOR)


@pytest.fixture
def officer(staff_factory: Callable[..., User]) -> User:
    return staff_factory("olly_officer", Role.OFFICER)


@pytest.fixture
def booking_clerk(staff_factory: Callable[..., User]) -> User:
    return staff_factory("bea_booking", Role.BOOKING)


@pytest.fixture
def medic(staff_factory: Callable[..., User]) -> User:
    return staff_factory("mo_medic", Role.MEDICAL)


@pytest.fixture
def court_clerk(staff_factory: Callable[..., User]) -> User:
    return staff_factory("cal_court", Role.COURT)


@pytest.fixture
def visits_clerk(staff_factory: Callable[..., User]) -> User:
    return staff_factory("vic_visits", Role.VISITS)


@pytest.fixture
def auditor(staff_factory: Callable[..., User]) -> User:
    return staff_factory("aud_auditor", Role.AUDITOR)


@pytest.fixture
def admin_user(staff_factory: Callable[..., User]) -> User:
    return staff_factory("ada_admin", Role.ADMIN)


@pytest.fixture
def outsider(other_site: SmallFacility) -> User:
    """Commander of another facility: powerful there, a stranger here."""
    return make_staff("otto_outsider", other_site.facility, Role.COMMANDER, Role.ADMIN)


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A test client signed in as ``user`` (session auth, as the pages use)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
