"""Keep-separate orders, co-defendants, protective orders and staff conflicts, with expiry."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import ChargeData, booking_open, booking_transition, charge_add
from cellblock.classification.models import (
    OrderStatus,
    ProtectiveOrder,
    SeparationOrder,
    SeparationSource,
    StaffConflict,
)
from cellblock.classification.selectors import (
    orders_in_force_q,
    orders_of,
    protective_orders_between,
    staff_conflicts_for,
)
from cellblock.classification.services import (
    CO_DEFENDANT_REASON,
    CONFLICT_EXISTS,
    NAIVE_TIME,
    NOT_AN_AUTHORISER,
    PROTECTED_IN_CUSTODY,
    SEPARATION_EXISTS,
    group_member_add,
    group_member_end,
    protective_order_create,
    protective_order_end,
    security_group_create,
    separation_order_create,
    separation_order_end,
    staff_conflict_create,
    staff_conflict_end,
)
from cellblock.conftest import make_staff
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.facilities import services as facility_services
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


@pytest.fixture
def judge(staff_factory):
    return staff_factory("judge_court", Role.COURT)


def _person(given, family="Test"):
    return person_create(actor=None, facility=None, given_name=given, family_name=family)


def _book(facility, given, *charges, actor=None):
    return booking_open(
        actor=actor, facility=facility, person=_person(given), source="arrest",
        charges=list(charges),
    )  # fmt: skip


def _charge(case=""):
    return ChargeData("PC 211", "Robbery", "felony", case_number=case)


@pytest.fixture
def pair(clock):
    """Two people on record, created so that the first has the higher row id."""
    later, earlier = _person("Zabuza"), _person("Haku")
    assert later.pk < earlier.pk
    return earlier, later


def _keep_apart(actor, site, person, other=None, *, scope="cell", reason="threats", **more):
    return separation_order_create(
        actor=actor, facility=site.facility, person=person, other_person=other, scope=scope,
        reason=reason, **more,
    )  # fmt: skip


def _fields(raised) -> dict[str, list[str]]:
    return raised.value.extra["fields"]


# --- Keep-separate between two people -------------------------------------------------------


def test_a_pair_is_stored_once_lower_id_first_whatever_the_order_given(site, cleo, pair):
    haku, zabuza = pair
    order = _keep_apart(cleo, site, haku, zabuza)
    assert (order.person, order.other_person) == (zabuza, haku)
    assert (order.recorded_by, order.authorised_by, order.starts_at) == (cleo, cleo, NOW)

    with pytest.raises(Conflict) as raised:
        _keep_apart(cleo, site, zabuza, haku, scope="unit")
    assert raised.value.status == 409
    assert raised.value.code == "separation_exists"
    assert raised.value.extra == {"order_id": str(order.public_id)}
    assert raised.value.message == SEPARATION_EXISTS.format(
        person=zabuza, other=haku, scope="never in the same cell"
    )
    assert SeparationOrder.objects.count() == 1


def test_the_order_is_audited_with_who_authorised_it(site, cleo, pair, commander):
    haku, zabuza = pair
    order = _keep_apart(cleo, site, haku, zabuza, scope="facility", authorised_by=commander)
    event = AuditEvent.objects.get(action="separation.create")
    assert event.actor == cleo
    assert event.object_id == str(order.public_id)
    assert event.reason == "threats"
    assert event.changes["authorised_by"] == "cara_commander"
    assert event.changes["scope"] == "facility"
    assert order.authorised_by == commander


def test_an_officer_cannot_be_named_as_the_one_who_authorised_it(site, cleo, pair, officer):
    haku, zabuza = pair
    with pytest.raises(ValidationFailed) as raised:
        _keep_apart(cleo, site, haku, zabuza, authorised_by=officer)
    assert raised.value.extra["fields"]["authorised_by"] == [
        NOT_AN_AUTHORISER.format(user=officer.get_username())
    ]
    assert not SeparationOrder.objects.exists()


@pytest.mark.parametrize("actor_name", ["officer", "booking_clerk", "judge"])
def test_only_classification_staff_and_commanders_record_keep_separate_orders(
    request, site, pair, actor_name
):
    with pytest.raises(PermissionDenied):
        _keep_apart(request.getfixturevalue(actor_name), site, *pair)
    assert not SeparationOrder.objects.exists()


def test_a_commander_may_record_one(site, pair, commander):
    assert _keep_apart(commander, site, *pair).recorded_by == commander


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"scope": "corridor"}, {"scope": ["must be one of cell, unit, facility, total."]}),
        ({"reason": " "}, {"reason": ["say why they must be kept apart."]}),
        ({"source": "rumour"}, {"source": [
            "must be one of staff, co_defendant, court, incident."]}),
        ({"expires_at": NOW}, {"expires_at": ["must be after the start."]}),
        ({"starts_at": NOW - DAY, "expires_at": NOW - HOUR}, {"expires_at": [
            "must be in the future."]}),
        ({"starts_at": NOW + DAY, "expires_at": NOW + HOUR}, {"expires_at": [
            "must be after the start."]}),
        ({"scope": "wing", "reason": ""}, {"scope": ["must be one of cell, unit, facility, total."],
                                           "reason": ["say why they must be kept apart."]}),
    ],
)  # fmt: skip
def test_a_bad_order_is_refused_naming_each_field(site, cleo, pair, changes, fields):
    with pytest.raises(ValidationFailed) as raised:
        _keep_apart(cleo, site, *pair, **changes)
    assert _fields(raised) == fields
    assert not SeparationOrder.objects.exists()


def test_an_order_names_exactly_one_other_party(site, cleo, pair):
    haku, _ = pair
    group = security_group_create(
        actor=cleo, facility=site.facility, code="akatsuki", name="Akatsuki", kind="gang"
    )
    with pytest.raises(ValidationFailed) as neither:
        _keep_apart(cleo, site, haku)
    with pytest.raises(ValidationFailed) as both:
        _keep_apart(cleo, site, *pair, group=group)
    with pytest.raises(ValidationFailed) as themselves:
        _keep_apart(cleo, site, haku, haku)
    assert set(_fields(neither)) == set(_fields(both)) == {"other_person"}
    assert _fields(themselves) == {"other_person": ["must be someone other than the person."]}


def test_a_group_of_another_agency_is_refused(site, cleo, pair):
    elsewhere = facility_services.agency_create(actor=None, code="KIRI", name="Kirigakure")
    mist = facility_services.facility_create(actor=None, agency=elsewhere, code="MST", name="Mist")
    group = security_group_create(
        actor=None, facility=mist, code="swordsmen", name="Seven Swordsmen", kind="faction"
    )
    with pytest.raises(ValidationFailed) as raised:
        _keep_apart(cleo, site, pair[0], group=group)
    assert _fields(raised) == {"group": ["is not a group of this agency."]}


# --- Expiry and ending -------------------------------------------------------------------------


def test_an_order_is_in_force_until_it_expires(site, cleo, pair, clock):
    order = _keep_apart(cleo, site, *pair, expires_at=NOW + DAY)
    in_force = SeparationOrder.objects.filter(orders_in_force_q(NOW + DAY - HOUR))
    assert list(in_force) == [order]
    assert order.status_at(NOW + DAY - HOUR) == OrderStatus.ACTIVE
    assert order.status_at(NOW + DAY) == OrderStatus.EXPIRED
    assert not SeparationOrder.objects.filter(orders_in_force_q(NOW + DAY)).exists()
    clock.move_to(NOW + DAY)
    assert orders_of(pair[0], site.agency.pk).separations == []
    assert orders_of(pair[0], site.agency.pk, include_past=True).separations == [order]


def test_after_expiry_a_new_order_may_be_recorded_and_the_old_one_is_closed(
    site, cleo, pair, clock
):
    old = _keep_apart(cleo, site, *pair, expires_at=NOW + DAY)
    clock.move_to(NOW + 2 * DAY)
    new = _keep_apart(cleo, site, *pair, scope="unit", reason="threats again")
    old.refresh_from_db()
    # Closed when it expired, not when the new one was recorded.
    assert (old.ended_at, old.end_reason) == (NOW + DAY, "expired")
    assert new.status_at(NOW + 2 * DAY) == OrderStatus.ACTIVE
    assert orders_of(pair[1], site.agency.pk).separations == [new]


def test_an_upcoming_order_is_listed_and_blocks_a_second_one(site, cleo, pair, clock):
    order = _keep_apart(cleo, site, *pair, starts_at=NOW + DAY)
    assert order.status_at(NOW) == OrderStatus.UPCOMING
    assert not SeparationOrder.objects.filter(orders_in_force_q(NOW)).exists()
    assert orders_of(pair[0], site.agency.pk).separations == [order]
    with pytest.raises(Conflict):
        _keep_apart(cleo, site, *pair)
    assert SeparationOrder.objects.filter(orders_in_force_q(NOW + DAY)).get() == order


def test_ending_an_order_needs_a_reason_happens_once_and_frees_the_pair(site, cleo, pair, clock):
    order = _keep_apart(cleo, site, *pair)
    with pytest.raises(ValidationFailed) as raised:
        separation_order_end(actor=cleo, facility=site.facility, order=order, reason="")
    assert _fields(raised) == {"reason": ["say why it ends."]}
    clock.shift(HOUR)
    ended = separation_order_end(
        actor=cleo, facility=site.facility, order=order, reason="reconciled"
    )
    assert (ended.ended_at, ended.ended_by, ended.end_reason) == (NOW + HOUR, cleo, "reconciled")
    assert ended.status_at(NOW + HOUR) == OrderStatus.ENDED
    assert AuditEvent.objects.get(action="separation.end").reason == "reconciled"
    with pytest.raises(Conflict) as again:
        separation_order_end(actor=cleo, facility=site.facility, order=order, reason="twice")
    assert again.value.code == "already_ended"
    assert _keep_apart(cleo, site, *pair).ended_at is None


def test_an_officer_cannot_end_an_order(site, cleo, officer, pair):
    order = _keep_apart(cleo, site, *pair)
    with pytest.raises(PermissionDenied):
        separation_order_end(actor=officer, facility=site.facility, order=order, reason="x")


# --- Groups ----------------------------------------------------------------------------


@pytest.fixture
def akatsuki(site, cleo):
    return security_group_create(
        actor=cleo, facility=site.facility, code="Akatsuki", name="Akatsuki", kind="gang"
    )


def test_a_group_order_binds_its_members_while_they_are_members(site, cleo, akatsuki, clock):
    itachi, kisame, jiraiya = _person("Itachi"), _person("Kisame"), _person("Jiraiya")
    assert akatsuki.code == "akatsuki"
    membership = group_member_add(
        actor=cleo, facility=site.facility, group=akatsuki, person=itachi, basis="cloak"
    )
    order = separation_order_create(
        actor=cleo, facility=site.facility, person=jiraiya, group=akatsuki, scope="facility",
        reason="hunted by the group",
    )  # fmt: skip
    assert (order.person, order.other_person, order.group) == (jiraiya, None, akatsuki)
    assert orders_of(itachi, site.agency.pk).separations == [order]
    assert orders_of(jiraiya, site.agency.pk).separations == [order]
    assert orders_of(kisame, site.agency.pk).separations == []

    group_member_end(actor=cleo, facility=site.facility, membership=membership, reason="left")
    assert orders_of(itachi, site.agency.pk).separations == []
    with pytest.raises(Conflict) as raised:
        separation_order_create(
            actor=cleo, facility=site.facility, person=jiraiya, group=akatsuki, scope="unit",
            reason="again",
        )  # fmt: skip
    assert raised.value.code == "separation_exists"


def test_a_member_is_recorded_once_and_a_group_code_once_per_agency(site, cleo, akatsuki):
    itachi = _person("Itachi")
    group_member_add(actor=cleo, facility=site.facility, group=akatsuki, person=itachi, basis="x")
    with pytest.raises(Conflict) as twice:
        group_member_add(
            actor=cleo, facility=site.facility, group=akatsuki, person=itachi, basis="y"
        )
    assert twice.value.code == "member_exists"
    with pytest.raises(Conflict) as code:
        security_group_create(
            actor=cleo, facility=site.facility, code="akatsuki", name="Again", kind="gang"
        )
    assert code.value.code == "group_exists"


# --- Co-defendants ----------------------------------------------------------------------


def test_co_defendants_get_an_order_at_the_policy_scope(site, booking_clerk, clock):
    zabuza = _book(site.facility, "Zabuza", _charge("KON-77"), actor=booking_clerk)
    haku = _book(site.facility, "Haku", _charge("kon-77 "), actor=booking_clerk)

    order = SeparationOrder.objects.get()
    assert {order.person, order.other_person} == {zabuza.person, haku.person}
    assert (order.scope, order.source) == ("unit", SeparationSource.CO_DEFENDANT)
    assert order.reason == CO_DEFENDANT_REASON.format(case="kon-77")
    # Recorded by the system: the clerk entered a charge, not an order.
    assert (order.recorded_by, order.authorised_by) == (None, None)
    assert AuditEvent.objects.get(action="separation.create").actor is None


def test_a_third_co_defendant_is_kept_from_both_and_a_second_charge_adds_nothing(
    site, booking_clerk, clock
):
    first = _book(site.facility, "Gato", _charge("KON-1"), actor=booking_clerk)
    _book(site.facility, "Zabuza", _charge("KON-1"), actor=booking_clerk)
    _book(site.facility, "Haku", _charge("KON-1"), actor=booking_clerk)
    assert SeparationOrder.objects.count() == 3
    charge_add(actor=booking_clerk, booking=first, data=_charge("KON-1"))
    assert SeparationOrder.objects.count() == 3


def test_charges_without_a_case_number_or_in_other_cases_make_no_order(site, booking_clerk):
    _book(site.facility, "Gato", _charge(""), actor=booking_clerk)
    _book(site.facility, "Zabuza", _charge(""), actor=booking_clerk)
    _book(site.facility, "Haku", _charge("KON-2"), actor=booking_clerk)
    _book(site.facility, "Inari", _charge("KON-3"), actor=booking_clerk)
    assert not SeparationOrder.objects.exists()


def test_co_defendants_at_another_facility_of_the_agency_are_kept_apart_too(
    site, other_site, booking_clerk
):
    _book(site.facility, "Zabuza", _charge("KON-5"), actor=booking_clerk)
    _book(other_site.facility, "Haku", _charge("KON-5"))
    assert SeparationOrder.objects.get().agency_id == site.agency.pk


def test_the_same_case_number_at_another_agency_is_another_case(site, booking_clerk):
    mist = facility_services.facility_create(
        actor=None, code="MST", name="Mist Jail",
        agency=facility_services.agency_create(actor=None, code="KIRI", name="Kirigakure"),
    )  # fmt: skip
    _book(site.facility, "Zabuza", _charge("CASE-1"), actor=booking_clerk)
    _book(mist, "Haku", _charge("CASE-1"))
    assert not SeparationOrder.objects.exists()


def test_no_co_defendant_order_when_the_policy_scope_is_empty(site, commander, booking_clerk):
    facility_services.facility_policy_update(
        actor=commander, facility=site.facility, co_defendant_separation_scope=""
    )
    _book(site.facility, "Zabuza", _charge("KON-6"), actor=booking_clerk)
    _book(site.facility, "Haku", _charge("KON-6"), actor=booking_clerk)
    assert not SeparationOrder.objects.exists()


def test_the_policy_scope_is_the_scope_of_the_order(site, commander, booking_clerk):
    facility_services.facility_policy_update(
        actor=commander, facility=site.facility, co_defendant_separation_scope="total"
    )
    _book(site.facility, "Zabuza", _charge("KON-8"), actor=booking_clerk)
    _book(site.facility, "Haku", _charge("KON-8"), actor=booking_clerk)
    assert SeparationOrder.objects.get().scope == "total"


def test_an_order_already_recorded_for_later_does_not_block_a_co_defendants_charge(
    site, cleo, booking_clerk, clock
):
    zabuza = _book(site.facility, "Zabuza", _charge("KON-9"), actor=booking_clerk)
    haku = _book(site.facility, "Haku", actor=booking_clerk)
    _keep_apart(cleo, site, zabuza.person, haku.person, starts_at=NOW + DAY)

    charge_add(actor=booking_clerk, booking=haku, data=_charge("KON-9"))

    assert SeparationOrder.objects.count() == 1


def test_a_released_co_defendant_is_not_kept_apart(site, booking_clerk, commander):
    zabuza = _book(site.facility, "Zabuza", _charge("KON-4"), actor=booking_clerk)
    booking_transition(actor=commander, booking=zabuza, to="cancelled", reason="mistaken")
    _book(site.facility, "Haku", _charge("KON-4"), actor=booking_clerk)
    assert not SeparationOrder.objects.exists()


# --- Protective orders ------------------------------------------------------------------


def _protect(actor, site, person, protected, **more):
    values = {
        "protected_role": "victim", "source": "court_order", "scope": "all_contact",
        "issued_by": "Hokage's court", "reference": "KON-2026-17", **more,
    }  # fmt: skip
    return protective_order_create(
        actor=actor, facility=site.facility, person=person, protected_person=protected, **values
    )


def test_a_court_records_a_no_contact_order_with_expiry(site, judge, clock):
    kakashi, sakura = _person("Kakashi"), _person("Sakura")
    order = _protect(judge, site, kakashi, sakura, expires_at=NOW + 30 * DAY)

    assert (order.recorded_by, order.issued_by, order.reference) == (
        judge, "Hokage's court", "KON-2026-17",
    )  # fmt: skip
    assert list(protective_orders_between(kakashi, sakura, NOW)) == [order]
    # It forbids contact by the person in custody, not the other way round.
    assert not protective_orders_between(sakura, kakashi, NOW).exists()
    assert not protective_orders_between(kakashi, sakura, NOW + 30 * DAY).exists()
    assert order.status_at(NOW + 30 * DAY) == OrderStatus.EXPIRED
    event = AuditEvent.objects.get(action="protective_order.create")
    assert (event.actor, event.changes["reference"]) == (judge, "KON-2026-17")


def test_a_court_order_needs_its_reference(site, judge):
    with pytest.raises(ValidationFailed) as raised:
        _protect(judge, site, _person("Kakashi"), _person("Sakura"), reference=" ")
    assert _fields(raised) == {
        "reference": ["a court order needs its reference (docket or order number)."]
    }


def test_every_choice_of_a_protective_order_is_checked_at_once(site, judge):
    with pytest.raises(ValidationFailed) as raised:
        _protect(
            judge, site, _person("Kakashi"), _person("Sakura"), protected_role="fan",
            scope="telepathy", source="rumour", issued_by="",
        )  # fmt: skip
    assert set(_fields(raised)) == {"protected_role", "scope", "source", "issued_by"}
    assert not ProtectiveOrder.objects.exists()


def test_an_administrative_order_needs_no_reference(site, cleo):
    order = _protect(
        cleo, site, _person("Kakashi"), _person("Sakura"), source="administrative", reference=""
    )
    assert order.source == "administrative"


def test_a_person_cannot_be_protected_from_themselves(site, judge):
    kakashi = _person("Kakashi")
    with pytest.raises(ValidationFailed) as raised:
        _protect(judge, site, kakashi, kakashi)
    assert set(_fields(raised)) == {"protected_person"}


def test_officers_cannot_record_protective_orders(site, officer):
    with pytest.raises(PermissionDenied):
        _protect(officer, site, _person("Kakashi"), _person("Sakura"))


def test_ending_a_protective_order_takes_it_out_of_force(site, judge, clock):
    kakashi, sakura = _person("Kakashi"), _person("Sakura")
    order = _protect(judge, site, kakashi, sakura)
    clock.shift(DAY)
    protective_order_end(actor=judge, facility=site.facility, order=order, reason="appeal won")
    order.refresh_from_db()
    assert (order.ended_at, order.ended_by) == (NOW + DAY, judge)
    assert not protective_orders_between(kakashi, sakura, NOW + DAY).exists()
    assert orders_of(kakashi, site.agency.pk).protective == []
    assert orders_of(kakashi, site.agency.pk, include_past=True).protective == [order]


def test_a_protective_order_starting_later_is_listed_as_upcoming(site, judge):
    kakashi, sakura = _person("Kakashi"), _person("Sakura")
    with time_machine.travel(NOW, tick=False):
        order = _protect(judge, site, kakashi, sakura, starts_at=NOW + DAY)
        assert orders_of(kakashi, site.agency.pk).protective == [order]
    assert order.status_at(NOW) == OrderStatus.UPCOMING
    assert not protective_orders_between(kakashi, sakura, NOW).exists()
    assert protective_orders_between(kakashi, sakura, NOW + DAY).exists()


# --- Staff conflicts --------------------------------------------------------------------


@pytest.fixture
def sakura_staff(site):
    return make_staff("sakura_haruno", site.facility, Role.MEDICAL)


def test_a_staff_victim_conflict_links_the_person_and_the_staff_member(
    site, cleo, sakura_staff, clock
):
    sasuke = _person("Sasuke")
    conflict = staff_conflict_create(
        actor=cleo, facility=site.facility, person=sasuke, staff=sakura_staff,
        kind="alleged_victim", reason="attempted murder of the medic",
    )  # fmt: skip
    assert [c.staff for c in staff_conflicts_for(sasuke, NOW)] == [sakura_staff]
    assert orders_of(sasuke, site.agency.pk).staff_conflicts == [conflict]
    event = AuditEvent.objects.get(action="staff_conflict.create")
    assert (event.actor, event.changes["staff"]) == (cleo, "sakura_haruno")

    with pytest.raises(Conflict) as twice:
        staff_conflict_create(
            actor=cleo, facility=site.facility, person=sasuke, staff=sakura_staff,
            kind="alleged_victim", reason="again",
        )  # fmt: skip
    assert twice.value.code == "conflict_exists"
    assert twice.value.message == CONFLICT_EXISTS.format(person=sasuke, staff="sakura_haruno")


def test_a_staff_conflict_expires_and_may_be_recorded_again(site, cleo, sakura_staff, clock):
    sasuke = _person("Sasuke")
    first = staff_conflict_create(
        actor=cleo, facility=site.facility, person=sasuke, staff=sakura_staff,
        kind="alleged_victim", reason="case pending", expires_at=NOW + DAY,
    )  # fmt: skip
    clock.move_to(NOW + DAY)
    assert not staff_conflicts_for(sasuke, NOW + DAY).exists()
    again = staff_conflict_create(
        actor=cleo, facility=site.facility, person=sasuke, staff=sakura_staff,
        kind="alleged_victim", reason="new allegation",
    )  # fmt: skip
    first.refresh_from_db()
    assert (first.ended_at, first.end_reason) == (NOW + DAY, "expired")
    assert list(staff_conflicts_for(sasuke, NOW + DAY)) == [again]


def test_ending_a_staff_conflict(site, cleo, sakura_staff, clock):
    sasuke = _person("Sasuke")
    conflict = staff_conflict_create(
        actor=cleo, facility=site.facility, person=sasuke, staff=sakura_staff, kind="family",
        reason="cousin",
    )  # fmt: skip
    staff_conflict_end(
        actor=cleo, facility=site.facility, conflict=conflict, reason="recorded in error"
    )
    assert not staff_conflicts_for(sasuke, NOW).exists()
    assert StaffConflict.objects.get().end_reason == "recorded in error"
    with pytest.raises(Conflict):
        staff_conflict_end(actor=cleo, facility=site.facility, conflict=conflict, reason="again")


def test_a_staff_conflict_needs_a_kind_and_a_reason(site, cleo, sakura_staff):
    with pytest.raises(ValidationFailed) as raised:
        staff_conflict_create(
            actor=cleo, facility=site.facility, person=_person("Sasuke"), staff=sakura_staff,
            kind="rivalry", reason=" ",
        )  # fmt: skip
    assert set(_fields(raised)) == {"kind", "reason"}


def test_an_expired_order_gives_way_to_a_co_defendant_order_and_its_closing_is_audited(
    site, cleo, booking_clerk, clock
):
    zabuza = _book(site.facility, "Zabuza", _charge("KON-10"), actor=booking_clerk)
    haku = _book(site.facility, "Haku", actor=booking_clerk)
    old = _keep_apart(cleo, site, zabuza.person, haku.person, expires_at=NOW + DAY)
    clock.move_to(NOW + 2 * DAY)

    charge_add(actor=booking_clerk, booking=haku, data=_charge("KON-10"))

    old.refresh_from_db()
    assert (old.ended_at, old.end_reason) == (NOW + DAY, "expired")
    closing = AuditEvent.objects.get(action="separation.end", object_id=str(old.public_id))
    assert (closing.actor, closing.reason) == (None, "expired")
    new = SeparationOrder.objects.get(ended_at__isnull=True)
    assert new.source == "co_defendant"


def test_a_time_without_a_zone_is_refused_naming_the_field(site, cleo, pair):
    haku, zabuza = pair
    with pytest.raises(ValidationFailed) as raised:
        _keep_apart(cleo, site, haku, zabuza, expires_at=dt.datetime(2026, 4, 1, 12, 0))  # noqa: DTZ001
    assert _fields(raised) == {"expires_at": [NAIVE_TIME]}


def test_a_protective_order_never_protects_someone_held_in_custody(site, judge, pair):
    haku, zabuza = pair
    booking_open(actor=None, facility=site.facility, person=haku, source="arrest")
    booking_open(actor=None, facility=site.facility, person=zabuza, source="arrest")
    with pytest.raises(ValidationFailed) as raised:
        protective_order_create(
            actor=judge, facility=site.facility, person=zabuza, protected_person=haku,
            protected_role="witness", source="administrative", scope="visits",
            issued_by="Warden",
        )  # fmt: skip
    assert _fields(raised) == {"protected_person": [PROTECTED_IN_CUSTODY]}


def test_the_same_protective_order_twice_is_refused(site, judge, pair):
    haku, zabuza = pair
    booking_open(actor=None, facility=site.facility, person=zabuza, source="arrest")

    def record():
        return protective_order_create(
            actor=judge, facility=site.facility, person=zabuza, protected_person=haku,
            protected_role="victim", source="administrative", scope="all_contact",
            issued_by="Warden",
        )  # fmt: skip

    first = record()
    with pytest.raises(Conflict) as raised:
        record()
    assert raised.value.code == "protective_order_exists"
    assert raised.value.extra == {"order_id": str(first.public_id)}
