import pytest

from cellblock.booking.services import booking_open
from cellblock.core.errors import Conflict, PermissionDenied
from cellblock.facilities.selectors import facility_tree
from cellblock.facilities.services import cell_set_service
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db


def _booking(site, name="Hatake"):
    person = person_create(actor=None, facility=site.facility, given_name="K", family_name=name)
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def test_housing_a_person_shows_in_the_occupancy_of_every_level(site, supervisor):
    bed = site.cells[0].beds.first()
    bed_assign(actor=supervisor, booking=_booking(site), bed=bed)
    tree = facility_tree(site.facility)
    assert tree.occupied == 1
    assert tree.zones[0].units[0].cells[0].occupied == 1


def test_a_move_ends_the_previous_assignment(site, supervisor):
    booking = _booking(site)
    bed_assign(actor=supervisor, booking=booking, bed=site.cells[0].beds.first())
    bed_assign(actor=supervisor, booking=booking, bed=site.cells[1].beds.first())
    assert booking.bed_assignments.filter(ended_at__isnull=True).count() == 1
    assert facility_tree(site.facility).occupied == 1


def test_an_occupied_bed_is_refused(site, supervisor):
    bed = site.cells[0].beds.first()
    bed_assign(actor=supervisor, booking=_booking(site), bed=bed)
    with pytest.raises(Conflict, match="occupied"):
        bed_assign(actor=supervisor, booking=_booking(site, "Uchiha"), bed=bed)


def test_a_bed_in_a_cell_out_of_service_is_refused(site, supervisor, admin_user):
    cell_set_service(
        actor=admin_user, cell=site.cells[0], out_of_service=True, reason="bars dented"
    )
    with pytest.raises(Conflict, match="out of service"):
        bed_assign(actor=supervisor, booking=_booking(site), bed=site.cells[0].beds.first())


def test_an_officer_cannot_assign_beds(site, officer):
    with pytest.raises(PermissionDenied):
        bed_assign(actor=officer, booking=_booking(site), bed=site.cells[0].beds.first())


def test_the_tree_costs_the_same_queries_however_big_the_facility(site, django_assert_num_queries):
    from cellblock.facilities.services import cell_create

    with django_assert_num_queries(7):
        facility_tree(site.facility)
    for n in range(10):
        cell_create(actor=None, unit=site.unit, code=f"X{n}", beds=3, features=["observation"])
    with django_assert_num_queries(7):
        facility_tree(site.facility)
