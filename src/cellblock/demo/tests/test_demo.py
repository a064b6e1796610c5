import io

import pytest
from django.core.management import call_command

from cellblock.accounts.models import User
from cellblock.audit.models import AuditEvent
from cellblock.audit.selectors import audit_chain_verify
from cellblock.demo.konoha import DEMO_PASSWORD, FACILITY_CODE, STAFF
from cellblock.facilities.models import Facility, FacilityPolicy, FeatureStatus
from cellblock.facilities.selectors import facility_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def konoha():
    call_command("demo", stdout=io.StringIO())
    return Facility.objects.get(code=FACILITY_CODE)


def test_the_demo_builds_konoha_prison_as_the_case_files_describe_it(konoha):
    tree = facility_tree(konoha)
    zones = {z.zone.code: z for z in tree.zones}
    assert not zones["MAIN"].zone.restricted
    assert zones["LOWER"].zone.restricted
    cells = {c.cell.code: c for z in tree.zones for u in z.units for c in u.cells}
    assert ("chakra-suppression", FeatureStatus.WORKING) in cells["MC-01"].features
    # The isolation cell has an iron door and no light.
    assert [tag for tag, _ in cells["ISO-1"].features] == ["iron-door"]
    # The end-of-corridor cell is watched by a post of two officers.
    assert [p.required_officers for p in cells["HS-01"].posts] == [2]


def test_konoha_visits_last_twenty_minutes(konoha):
    assert FacilityPolicy.objects.get(facility=konoha).visit_length_minutes == 20


def test_every_demo_login_works_with_the_printed_password(konoha):
    for staff in STAFF:
        user = User.objects.get(username=staff.username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.roles_at(konoha.pk) == frozenset(r.value for r in staff.roles)


def test_shizune_is_both_supervisor_and_medic(konoha):
    assert User.objects.get(username="shizune").roles_at(konoha.pk) == {"supervisor", "medical"}


def test_loading_twice_changes_nothing_and_the_audit_chain_verifies(konoha):
    events_before = AuditEvent.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert AuditEvent.objects.count() == events_before
    result = audit_chain_verify()
    assert result.ok, result.problem
    assert result.checked == events_before


def test_if_empty_leaves_a_database_with_other_facilities_alone(site, capsys):
    call_command("demo", "--if-empty")
    assert not Facility.objects.filter(code=FACILITY_CODE).exists()
    assert "not loaded" in capsys.readouterr().out


def test_the_demo_command_prints_the_logins(capsys):
    call_command("demo", "--if-empty")
    out = capsys.readouterr().out
    assert "tsunade" in out
    assert DEMO_PASSWORD in out


def test_the_demo_opens_with_naruto_in_isolation_and_sasuke_at_the_end_of_the_corridor(konoha):
    from cellblock.booking.models import OPEN_STATUSES, Booking
    from cellblock.housing.models import BedAssignment

    held = Booking.objects.filter(facility=konoha, status__in=OPEN_STATUSES)
    assert held.count() == 6
    cells = dict(
        BedAssignment.objects.filter(ended_at__isnull=True, booking__in=held).values_list(
            "booking__person__given_name", "bed__cell__code"
        )
    )
    assert cells["Naruto"] == "ISO-1"
    assert cells["Sasuke"] == "HS-01"


def test_the_demo_leaves_one_intake_unfinished_for_the_dashboard(konoha):
    from cellblock.booking.selectors import bookings_with_overdue_steps

    overdue = bookings_with_overdue_steps(konoha)
    assert [o.booking.person.given_name for o in overdue] == ["Kin"]
    assert {s.step for s in overdue[0].overdue_steps} == {"identity", "charges", "property"}
