"""Consequences now: a new order or flag that makes a current housing unlawful raises an alert.

The alert (a HousingReview) stays open until the placement no longer breaks
the rule: a move, the order ended or expired, the flag lifted.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.prea import ABUSER_CRITERIA, VICTIM_CRITERIA
from cellblock.classification.services import (
    classification_sweep,
    flag_lift,
    flag_set,
    group_member_add,
    group_member_end,
    prea_screening_record,
    security_group_create,
    separation_order_create,
    separation_order_end,
)
from cellblock.conftest import ready_for_bed
from cellblock.core.errors import Conflict
from cellblock.core.roles import Role
from cellblock.facilities.services import (
    cell_create,
    cell_feature_set,
    cell_set_service,
    unit_create,
)
from cellblock.housing.models import HousingReview
from cellblock.housing.rules import (
    CONTAINMENT_MISSING,
    JUVENILE_IN_ADULT_UNIT,
    JUVENILE_WITH_ADULTS,
    KEEP_SEPARATE,
    OUT_OF_SERVICE,
    PREA_PAIRING,
)
from cellblock.housing.selectors import open_reviews
from cellblock.housing.services import MOVED_OR_CLEARED, bed_assign, housing_recheck
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

NO = {code: False for code in [*VICTIM_CRITERIA, *ABUSER_CRITERIA]}
# Their units, the orders naming them, everyone around them with their cells' working
# features, flags and groups, the alerts naming them, and the open alerts locked.
RECHECK_QUERIES = 8


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


def _book(site, given, born=None):
    person = person_create(
        actor=None, facility=None, given_name=given, family_name="Test", date_of_birth=born
    )
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    # Screened at intake: these tests are about where people may sleep.
    return ready_for_bed(booking)


def _bed(cell, code="B1"):
    return cell.beds.get(code=code)


@pytest.fixture
def cellmates(site, supervisor, clock):
    """Zabuza and Haku share cell A1-1."""
    zabuza, haku = _book(site, "Zabuza"), _book(site, "Haku")
    bed_assign(actor=supervisor, booking=zabuza, bed=_bed(site.cells[0], "B1"))
    bed_assign(actor=supervisor, booking=haku, bed=_bed(site.cells[0], "B2"))
    return zabuza, haku


def _open(*bookings) -> list[tuple[str, str]]:
    """(booking number, rule) of the open alerts of these bookings."""
    return sorted(
        HousingReview.objects.filter(booking__in=bookings, resolved_at__isnull=True).values_list(
            "booking__booking_number", "code"
        )
    )


def _keep_apart(actor, site, a, b, scope="cell", **more):
    return separation_order_create(
        actor=actor, facility=site.facility, person=a.person, other_person=b.person, scope=scope,
        reason="threats", **more,
    )  # fmt: skip


# --- Keep-separate ----------------------------------------------------------------------


def test_a_keep_separate_order_between_cellmates_alerts_on_both(site, cleo, cellmates):
    zabuza, haku = cellmates
    order = _keep_apart(cleo, site, zabuza, haku)

    assert _open(zabuza, haku) == sorted(
        [(zabuza.booking_number, KEEP_SEPARATE), (haku.booking_number, KEEP_SEPARATE)]
    )
    alert = HousingReview.objects.get(booking=zabuza)
    assert alert.subject == f"keep_separate:{order.public_id}:{haku.booking_number}"
    assert alert.message == (
        f"{zabuza.booking_number} Zabuza Test and {haku.booking_number} Haku Test are under a "
        "keep-separate order (cell) and both in Unit A1 / A1-1."
    )
    assert (alert.cause, alert.raised_by, alert.raised_at) == (
        "keep-separate order recorded", cleo, NOW,
    )  # fmt: skip
    events = AuditEvent.objects.filter(action="housing.alert")
    assert sorted(e.object_id for e in events) == sorted(
        [str(zabuza.public_id), str(haku.public_id)]
    )
    assert {(e.actor_id, e.changes["rule"]) for e in events} == {(cleo.pk, KEEP_SEPARATE)}
    assert list(open_reviews(site.facility)) == list(HousingReview.objects.order_by("id"))


def test_a_cell_order_between_neighbours_raises_nothing_but_a_unit_order_does(
    site, cleo, supervisor, clock
):
    zabuza, haku = _book(site, "Zabuza"), _book(site, "Haku")
    bed_assign(actor=supervisor, booking=zabuza, bed=_bed(site.cells[0]))
    bed_assign(actor=supervisor, booking=haku, bed=_bed(site.cells[1]))

    order = _keep_apart(cleo, site, zabuza, haku, scope="cell")
    assert _open(zabuza, haku) == []
    separation_order_end(actor=cleo, facility=site.facility, order=order, reason="wider")
    _keep_apart(cleo, site, zabuza, haku, scope="unit")
    assert len(_open(zabuza, haku)) == 2
    assert "both in Unit A1." in HousingReview.objects.filter(booking=haku).get().message


def test_moving_one_of_them_clears_both_alerts(site, cleo, supervisor, cellmates, clock):
    zabuza, haku = cellmates
    _keep_apart(cleo, site, zabuza, haku)
    clock.shift(HOUR)

    bed_assign(actor=supervisor, booking=haku, bed=_bed(site.cells[1]))

    assert _open(zabuza, haku) == []
    for alert in HousingReview.objects.all():
        assert (alert.resolved_at, alert.resolved_by) == (NOW + HOUR, supervisor)
        assert alert.resolution == MOVED_OR_CLEARED.format(cause="moved to A1-2/B1")
    cleared = AuditEvent.objects.filter(action="housing.alert_cleared")
    assert sorted(e.object_id for e in cleared) == sorted(
        [str(zabuza.public_id), str(haku.public_id)]
    )
    assert {e.actor_id for e in cleared} == {supervisor.pk}


def test_moving_someone_in_with_a_person_they_must_avoid_is_refused_and_alerts_if_overridden(
    site, cleo, supervisor, commander, clock
):
    zabuza, haku = _book(site, "Zabuza"), _book(site, "Haku")
    bed_assign(actor=supervisor, booking=zabuza, bed=_bed(site.cells[0]))
    bed_assign(actor=supervisor, booking=haku, bed=_bed(site.cells[1]))
    _keep_apart(cleo, site, zabuza, haku)
    assert _open(zabuza, haku) == []

    with pytest.raises(Conflict) as refused:
        bed_assign(actor=supervisor, booking=haku, bed=_bed(site.cells[0], "B2"))
    assert refused.value.code == "housing_rule"
    bed_assign(
        actor=commander, booking=haku, bed=_bed(site.cells[0], "B2"),
        override_reason="Only cell with a working door tonight.",
    )  # fmt: skip

    assert len(_open(zabuza, haku)) == 2


def test_ending_the_order_clears_the_alerts(site, cleo, cellmates, clock):
    zabuza, haku = cellmates
    order = _keep_apart(cleo, site, zabuza, haku)
    clock.shift(HOUR)
    separation_order_end(actor=cleo, facility=site.facility, order=order, reason="made peace")
    assert _open(zabuza, haku) == []
    assert set(HousingReview.objects.values_list("resolution", flat=True)) == {
        MOVED_OR_CLEARED.format(cause="keep-separate order ended")
    }


def test_the_sweep_clears_the_alerts_of_an_order_that_expired(site, cleo, cellmates, clock):
    zabuza, haku = cellmates
    _keep_apart(cleo, site, zabuza, haku, expires_at=NOW + DAY)
    clock.move_to(NOW + DAY - HOUR)
    classification_sweep()
    assert len(_open(zabuza, haku)) == 2

    clock.move_to(NOW + DAY + HOUR)
    assert classification_sweep().alerts_rechecked == 2
    assert _open(zabuza, haku) == []
    cleared = AuditEvent.objects.filter(action="housing.alert_cleared")
    assert cleared.count() == 2
    assert {(e.actor_id, e.reason) for e in cleared} == {(None, "periodic check")}


def test_the_sweep_raises_the_alerts_of_an_order_when_it_starts(site, cleo, cellmates, clock):
    zabuza, haku = cellmates
    _keep_apart(cleo, site, zabuza, haku, starts_at=NOW + DAY)
    assert _open(zabuza, haku) == []
    clock.move_to(NOW + DAY + HOUR)
    classification_sweep()
    assert len(_open(zabuza, haku)) == 2
    # And only once.
    classification_sweep()
    assert HousingReview.objects.count() == 2


def test_a_group_order_alerts_when_a_member_shares_the_unit(site, cleo, supervisor, clock):
    jiraiya, itachi = _book(site, "Jiraiya"), _book(site, "Itachi")
    bed_assign(actor=supervisor, booking=jiraiya, bed=_bed(site.cells[0]))
    bed_assign(actor=supervisor, booking=itachi, bed=_bed(site.cells[1]))
    akatsuki = security_group_create(
        actor=cleo, facility=site.facility, code="akatsuki", name="Akatsuki", kind="gang"
    )
    separation_order_create(
        actor=cleo, facility=site.facility, person=jiraiya.person, group=akatsuki, scope="unit",
        reason="hunted",
    )  # fmt: skip
    assert _open(jiraiya, itachi) == []

    membership = group_member_add(
        actor=cleo, facility=site.facility, group=akatsuki, person=itachi.person, basis="cloak"
    )
    assert len(_open(jiraiya, itachi)) == 2

    group_member_end(actor=cleo, facility=site.facility, membership=membership, reason="defected")
    assert _open(jiraiya, itachi) == []


# --- Juveniles ----------------------------------------------------------------------------


def test_a_juvenile_flag_on_someone_in_an_adult_unit_raises_an_alert(site, cleo, supervisor, clock):
    naruto, kakashi = _book(site, "Naruto"), _book(site, "Kakashi")
    bed_assign(actor=supervisor, booking=naruto, bed=_bed(site.cells[0]))
    bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[1]))
    assert _open(naruto, kakashi) == []

    flag = flag_set(actor=cleo, booking=naruto, kind="juvenile", reason="says he is ten")

    assert _open(naruto, kakashi) == [
        (naruto.booking_number, JUVENILE_IN_ADULT_UNIT),
        (naruto.booking_number, JUVENILE_WITH_ADULTS),
    ]
    with_adults = HousingReview.objects.get(code=JUVENILE_WITH_ADULTS)
    assert f"{kakashi.booking_number} Kakashi Test" in with_adults.message
    assert with_adults.cause == "flag juvenile set"

    flag_lift(actor=cleo, flag=flag, reason="passport shows 19")
    assert _open(naruto, kakashi) == []


def test_housing_a_16_year_old_in_an_adult_unit_on_override_raises_an_alert(site, commander, clock):
    sasuke = _book(site, "Sasuke", born=dt.date(2009, 7, 23))
    bed_assign(
        actor=commander, booking=sasuke, bed=_bed(site.cells[0]),
        override_reason="No juvenile unit in this facility.",
    )  # fmt: skip
    assert _open(sasuke) == [(sasuke.booking_number, JUVENILE_IN_ADULT_UNIT)]


def test_a_juvenile_in_a_mixed_unit_raises_nothing_until_an_adult_moves_in(
    site, supervisor, commander, clock
):
    # A mixed-age unit: the unit's age group does not refuse an adult, his company does.
    unit = unit_create(actor=None, zone=site.zone, code="J1", name="Youth and adults",
                       age_group="any")  # fmt: skip
    cell = cell_create(actor=None, unit=unit, code="J1-1", beds=2)
    sasuke = _book(site, "Sasuke", born=dt.date(2009, 7, 23))
    kakashi = _book(site, "Kakashi", born=dt.date(1996, 9, 15))
    bed_assign(actor=supervisor, booking=sasuke, bed=_bed(cell, "B1"))
    assert _open(sasuke) == []

    with pytest.raises(Conflict):
        bed_assign(actor=supervisor, booking=kakashi, bed=_bed(cell, "B2"))
    bed_assign(
        actor=commander, booking=kakashi, bed=_bed(cell, "B2"),
        override_reason="Escorting officer stays in the cell.",
    )  # fmt: skip
    assert _open(sasuke, kakashi) == sorted(
        [(kakashi.booking_number, JUVENILE_WITH_ADULTS),
         (sasuke.booking_number, JUVENILE_WITH_ADULTS)]
    )  # fmt: skip
    bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[0]))
    assert _open(sasuke, kakashi) == []


# --- Containment -----------------------------------------------------------------------------


def _contain(cleo, booking, feature="chakra-suppression"):
    return flag_set(
        actor=cleo, booking=booking, kind="containment", detail=feature, reason="elite shinobi"
    )


def test_a_containment_need_the_cell_lacks_raises_an_alert(site, cleo, supervisor, clock):
    kakashi = _book(site, "Kakashi")
    bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[0]))
    _contain(cleo, kakashi)
    [alert] = HousingReview.objects.filter(booking=kakashi)
    assert (alert.code, alert.subject) == (
        CONTAINMENT_MISSING, "containment_missing:chakra-suppression",
    )  # fmt: skip
    assert alert.message == (
        f"{kakashi.booking_number} Kakashi Test needs a cell with working chakra-suppression; "
        "Unit A1 / A1-1 has none."
    )


def test_a_compromised_feature_does_not_meet_the_need(site, cleo, supervisor, clock):
    cell_feature_set(
        actor=None, cell=site.cells[0], tag="chakra-suppression", status="compromised",
        note="bar dented",
    )  # fmt: skip
    kakashi = _book(site, "Kakashi")
    bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[0]))
    _contain(cleo, kakashi)
    assert _open(kakashi) == [(kakashi.booking_number, CONTAINMENT_MISSING)]


def test_a_cell_with_the_feature_working_meets_the_need_and_a_move_there_clears_it(
    site, cleo, supervisor, clock
):
    cell_feature_set(actor=None, cell=site.cells[1], tag="chakra-suppression")
    kakashi = _book(site, "Kakashi")
    bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[0]))
    _contain(cleo, kakashi)
    assert len(_open(kakashi)) == 1

    bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[1]))
    assert _open(kakashi) == []


def test_renewing_an_expired_containment_flag_keeps_the_one_alert(site, cleo, supervisor, clock):
    kakashi = _book(site, "Kakashi")
    bed_assign(actor=supervisor, booking=kakashi, bed=_bed(site.cells[0]))
    flag_set(
        actor=cleo, booking=kakashi, kind="containment", detail="chakra-suppression",
        reason="until the seal is checked", until=NOW + HOUR,
    )  # fmt: skip
    clock.shift(2 * HOUR)
    _contain(cleo, kakashi)

    assert HousingReview.objects.get().resolved_at is None
    # The old flag's end is recorded as the system's, when it expired.
    lift = AuditEvent.objects.get(action="flag.lift")
    assert (lift.actor, lift.reason, lift.changes["lifted_at"]) == (
        None, "expired", (NOW + HOUR).isoformat().replace("+00:00", "Z"),
    )  # fmt: skip


def test_someone_not_housed_gets_no_alert(site, cleo, clock):
    kakashi = _book(site, "Kakashi")
    _contain(cleo, kakashi)
    assert not HousingReview.objects.exists()


# --- PREA ---------------------------------------------------------------------------------


def test_a_high_abuser_risk_and_a_high_victim_risk_in_one_cell_alert_on_both(
    site, cleo, cellmates, clock
):
    zabuza, haku = cellmates
    prea_screening_record(actor=cleo, booking=haku, answers={**NO, "prior_victimisation": True})
    assert _open(zabuza, haku) == []

    prea_screening_record(actor=cleo, booking=zabuza, answers={**NO, "prior_sexual_abuse": True})
    assert _open(zabuza, haku) == sorted(
        [(zabuza.booking_number, PREA_PAIRING), (haku.booking_number, PREA_PAIRING)]
    )

    # A later screening that lifts the abuser risk clears both.
    clock.shift(DAY)
    prea_screening_record(actor=cleo, booking=zabuza, answers=NO)
    assert _open(zabuza, haku) == []


# --- Cost -------------------------------------------------------------------------------------


def test_rechecking_a_cell_costs_the_same_queries_however_many_share_it(
    site, cleo, supervisor, clock, django_assert_num_queries
):
    big = cell_create(actor=None, unit=site.unit, code="A1-9", beds=8)
    people = [_book(site, f"Genin{n}") for n in range(8)]
    for n, booking in enumerate(people):
        bed_assign(actor=supervisor, booking=booking, bed=_bed(big, f"B{n + 1}"))
    # Some rules apply and their alerts are open already: a recheck changes nothing.
    _keep_apart(cleo, site, people[0], people[1])
    _contain(cleo, people[2])
    assert HousingReview.objects.count() == 3

    for count in (3, 8):
        with django_assert_num_queries(RECHECK_QUERIES):
            assert housing_recheck(actor=cleo, bookings=people[:count], cause="check") == []
    assert HousingReview.objects.filter(resolved_at__isnull=True).count() == 3


# --- Changes to the cell itself -----------------------------------------------------------


def test_bars_marked_compromised_alert_the_person_who_needs_them(site, cleo, commander, clock):
    kakashi = _book(site, "Kakashi")
    cell = site.cells[0]
    cell_feature_set(actor=commander, cell=cell, tag="chakra-suppression")
    bed_assign(actor=commander, booking=kakashi, bed=_bed(cell))
    flag_set(
        actor=cleo, booking=kakashi, kind="containment", detail="chakra-suppression",
        reason="elite shinobi",
    )  # fmt: skip
    assert _open(kakashi) == []

    cell_feature_set(actor=commander, cell=cell, tag="chakra-suppression", status="compromised")
    assert _open(kakashi) == [(kakashi.booking_number, CONTAINMENT_MISSING)]
    assert AuditEvent.objects.filter(action="housing.alert", actor=commander).exists()

    # Repaired: the alert clears by itself.
    cell_feature_set(actor=commander, cell=cell, tag="chakra-suppression")
    assert _open(kakashi) == []


def test_a_cell_taken_out_of_service_alerts_everyone_in_it(site, commander, cellmates):
    zabuza, haku = cellmates
    cell_set_service(actor=commander, cell=site.cells[0], out_of_service=True, reason="flooded")
    assert _open(zabuza, haku) == sorted(
        [(zabuza.booking_number, OUT_OF_SERVICE), (haku.booking_number, OUT_OF_SERVICE)]
    )
    cell_set_service(actor=commander, cell=site.cells[0], out_of_service=False)
    assert _open(zabuza, haku) == []
