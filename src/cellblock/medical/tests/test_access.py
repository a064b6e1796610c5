"""Clinical access: medical staff read, everyone else is refused, and a commander breaks the glass.

Break-glass opens one person's record to one commander for the policy's
minutes, with a reason; it expires by the clock, closes early at the
opener's word, and waits for a review by someone other than the opener.
Every read is an audit event in the chain: who read whose record, never
what it said.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.chain import entry_hash, payload_of
from cellblock.audit.models import AuditEvent
from cellblock.audit.selectors import audit_chain_verify
from cellblock.booking.models import Booking
from cellblock.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.facilities.services import facility_policy_update
from cellblock.medical.models import (
    BreakGlass,
    Encounter,
    EncounterKind,
    EncounterPlace,
    EncounterStatus,
    ReceivingScreening,
)
from cellblock.medical.selectors.record import (
    break_glass_get_for_user,
    break_glass_list,
    encounter_get_for_user,
    medical_record,
)
from cellblock.medical.services.access import (
    break_glass_close,
    break_glass_open,
    break_glass_review,
    clinical_access,
    clinical_read_audit,
    medical_lead_set,
    medical_leads,
)

from .conftest import NOW

pytestmark = pytest.mark.django_db

ADULT = dt.date(1990, 7, 23)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
REASON = "Found unresponsive at 18:00; the ambulance crew asks what he takes."
SECRET = "NOTE-7731 takes nothing for the pain"


@pytest.fixture
def held(clock, admit) -> Booking:
    """Sasuke Uchiha, an adult here (the shared fixture's birth date makes him a minor)."""
    return admit(born=ADULT)


@pytest.fixture
def opened(clock, held, commander) -> BreakGlass:
    return break_glass_open(actor=commander, booking=held, reason=REASON)


def reads_of(booking) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action__endswith=".read", object_id=str(booking.public_id))
        .order_by("seq")
    )  # fmt: skip


# --- Who reads clinical text ------------------------------------------------------------------


def test_medical_staff_read_without_break_glass(held, medic):
    assert clinical_access(user=medic, booking=held) is None


@pytest.mark.parametrize(
    "role", [Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.COMMANDER, Role.BOOKING,
             Role.VISITS, Role.CLASSIFICATION, Role.COURT, Role.ADMIN],
)  # fmt: skip
def test_everyone_else_is_refused_clinical_text(held, staff_factory, role):
    someone = staff_factory(f"some_{role}", role)
    with pytest.raises(PermissionDenied) as refused:
        clinical_access(user=someone, booking=held)
    assert refused.value.code == "clinical_only"
    assert "medical staff only" in refused.value.message
    assert "break-glass" in refused.value.message


def test_a_medic_of_another_facility_is_refused_here(held, other_site, staff_factory):
    elsewhere = staff_factory("far_medic", Role.MEDICAL, facility=other_site.facility)
    with pytest.raises(PermissionDenied):
        clinical_access(user=elsewhere, booking=held)


# --- Break-glass: open, expire, close ---------------------------------------------------------


def test_a_commander_opens_a_record_for_the_policy_minutes_and_the_opening_is_audited(
    opened, held, commander
):
    assert (opened.opened_at, opened.expires_at) == (NOW, NOW + HOUR)
    assert (opened.facility, opened.booking, opened.opened_by) == (
        held.facility, held, commander
    )  # fmt: skip
    assert clinical_access(user=commander, booking=held) == opened
    event = AuditEvent.objects.get(action="breakglass.open")
    assert (event.actor, event.reason, event.object_id) == (
        commander, REASON, str(opened.public_id)
    )  # fmt: skip
    assert event.changes["booking"] == held.booking_number
    assert event.changes["minutes"] == 60


@pytest.mark.parametrize(("after", "open_still"), [(HOUR - MINUTE, True), (HOUR, False),
                                                   (HOUR + MINUTE, False)])  # fmt: skip
def test_break_glass_expires_by_the_clock(opened, held, commander, clock, after, open_still):
    clock.move_to(NOW + after)
    if open_still:
        assert clinical_access(user=commander, booking=held) == opened
        return
    with pytest.raises(PermissionDenied) as refused:
        clinical_access(user=commander, booking=held)
    assert refused.value.code == "clinical_only"


def test_the_length_is_the_facilitys_policy(clock, held, commander, site):
    facility_policy_update(actor=None, facility=site.facility, break_glass_minutes=15)
    access = break_glass_open(actor=commander, booking=held, reason=REASON)
    assert access.expires_at == NOW + dt.timedelta(minutes=15)


def test_break_glass_opens_one_persons_record_to_one_commander(opened, held, admit, staff_factory):
    other_commander = staff_factory("tsunade", Role.COMMANDER)
    with pytest.raises(PermissionDenied):
        clinical_access(user=other_commander, booking=held)
    naruto = admit("Uzumaki", given_name="Naruto", born=ADULT)
    with pytest.raises(PermissionDenied):
        clinical_access(user=opened.opened_by, booking=naruto)


def test_a_reason_is_required(clock, held, commander):
    with pytest.raises(ValidationFailed) as refused:
        break_glass_open(actor=commander, booking=held, reason="  ")
    assert list(refused.value.extra["fields"]) == ["reason"]
    assert not BreakGlass.objects.exists()


def test_one_opening_at_a_time_per_commander_and_person(opened, held, commander, clock):
    with pytest.raises(Conflict) as refused:
        break_glass_open(actor=commander, booking=held, reason=REASON)
    assert refused.value.code == "break_glass_open"
    assert refused.value.extra["id"] == str(opened.public_id)
    clock.move_to(NOW + HOUR)
    again = break_glass_open(actor=commander, booking=held, reason=REASON)
    assert again.pk != opened.pk


@pytest.mark.parametrize("roles", [(Role.MEDICAL,), (Role.COMMANDER, Role.MEDICAL)])
def test_staff_who_read_clinical_text_anyway_get_409_clinical_access_held(
    clock, held, staff_factory, roles
):
    medic = staff_factory("doc_" + "_".join(roles), *roles)
    with pytest.raises(Conflict) as refused:
        break_glass_open(actor=medic, booking=held, reason=REASON)
    assert refused.value.code == "clinical_access_held"
    assert not BreakGlass.objects.exists()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR])
def test_only_the_commander_breaks_the_glass(clock, held, staff_factory, role):
    with pytest.raises(PermissionDenied) as refused:
        break_glass_open(actor=staff_factory(f"x_{role}", role), booking=held, reason=REASON)
    assert refused.value.code == "missing_role"


def test_the_opener_closes_it_early_and_access_ends(opened, held, commander, clock):
    clock.move_to(NOW + dt.timedelta(minutes=5))
    closed = break_glass_close(actor=commander, access=opened)
    assert closed.closed_at == NOW + dt.timedelta(minutes=5)
    with pytest.raises(PermissionDenied):
        clinical_access(user=commander, booking=held)
    assert AuditEvent.objects.filter(action="breakglass.close", actor=commander).exists()
    with pytest.raises(Conflict) as twice:
        break_glass_close(actor=commander, access=opened)
    assert twice.value.code == "break_glass_ended"


def test_nobody_but_the_opener_closes_it_and_an_expired_one_is_already_over(
    opened, staff_factory, commander, clock
):
    with pytest.raises(PermissionDenied) as refused:
        break_glass_close(actor=staff_factory("tsunade", Role.COMMANDER), access=opened)
    assert refused.value.code == "not_opener"
    clock.move_to(NOW + 2 * HOUR)
    with pytest.raises(Conflict) as late:
        break_glass_close(actor=commander, access=opened)
    assert late.value.code == "break_glass_ended"


# --- Review -----------------------------------------------------------------------------------


def test_the_medical_lead_reviews_an_opening_once(opened, medic, clock):
    clock.move_to(NOW + 2 * HOUR)
    reviewed = break_glass_review(actor=medic, access=opened, note="Justified: overdose call.")
    assert (reviewed.reviewed_by, reviewed.reviewed_at) == (medic, NOW + 2 * HOUR)
    assert reviewed.review_note == "Justified: overdose call."
    event = AuditEvent.objects.get(action="breakglass.review")
    assert (event.actor, event.object_id) == (medic, str(opened.public_id))
    with pytest.raises(Conflict) as twice:
        break_glass_review(actor=medic, access=opened, note="Again.")
    assert twice.value.code == "already_reviewed"


def test_the_opener_never_reviews_their_own_opening(opened, commander):
    with pytest.raises(PermissionDenied) as refused:
        break_glass_review(actor=commander, access=opened, note="Fine by me.")
    assert refused.value.code == "own_access"


def test_an_officer_does_not_review_and_a_note_is_required(opened, officer, auditor):
    with pytest.raises(PermissionDenied) as refused:
        break_glass_review(actor=officer, access=opened, note="Looks fine.")
    assert refused.value.code == "missing_role"
    with pytest.raises(ValidationFailed) as blank:
        break_glass_review(actor=auditor, access=opened, note="")
    assert list(blank.value.extra["fields"]) == ["note"]


def test_the_review_list_shows_openings_newest_first(opened, held, commander, clock, medic):
    clock.move_to(NOW + 2 * HOUR)
    later = break_glass_open(actor=commander, booking=held, reason=REASON)
    assert break_glass_list(held.facility) == [later, opened]
    break_glass_review(actor=medic, access=opened, note="Justified.")
    assert break_glass_list(held.facility, unreviewed_only=True) == [later]


# --- The medical lead -------------------------------------------------------------------------


def test_without_a_named_lead_every_medic_is_told(site, medic, second_medic, officer):
    assert medical_leads(site.facility) == [second_medic, medic]  # Mina, then Mo


def test_the_administrator_names_a_medic_as_the_lead(site, medic, second_medic, admin_user):
    medical_lead_set(actor=admin_user, facility=site.facility, lead=second_medic)
    site.facility.refresh_from_db()
    assert medical_leads(site.facility) == [second_medic]
    event = AuditEvent.objects.get(action="facility.medical_lead_set")
    assert event.changes == {"medical_lead": [None, "mina_medic"]}
    medical_lead_set(actor=admin_user, facility=site.facility, lead=None)
    assert medical_leads(site.facility) == [second_medic, medic]


def test_the_lead_must_be_a_medic_and_only_configuration_names_one(
    site, officer, medic, admin_user
):
    with pytest.raises(ValidationFailed) as not_medic:
        medical_lead_set(actor=admin_user, facility=site.facility, lead=officer)
    assert list(not_medic.value.extra["fields"]) == ["lead"]
    with pytest.raises(PermissionDenied):
        medical_lead_set(actor=officer, facility=site.facility, lead=medic)


def test_a_lead_who_left_the_medical_role_no_longer_hides_the_others(
    site, medic, second_medic, admin_user
):
    medical_lead_set(actor=admin_user, facility=site.facility, lead=second_medic)
    second_medic.memberships.update(active=False)
    site.facility.refresh_from_db()
    assert medical_leads(site.facility) == [medic]


# --- Every read is audited, in the chain ------------------------------------------------------


def test_a_medics_read_of_the_record_is_an_audit_event_without_the_text(held, medic):
    ReceivingScreening.objects.filter(booking=held).update(notes=SECRET)
    record = medical_record(user=medic, booking=held)
    assert [s.notes for s in record.screenings] == [SECRET]
    assert record.access is None
    (read,) = reads_of(held)
    assert (read.actor, read.action, read.reason) == (medic, "booking.read", "")
    assert read.changes == {"section": "record"}
    assert SECRET not in f"{read.object_label} {read.reason} {read.changes}"


def test_every_read_by_break_glass_is_audited_with_its_reason(opened, held, commander, clock):
    medical_record(user=commander, booking=held)
    clock.move_to(NOW + dt.timedelta(minutes=30))
    medical_record(user=commander, booking=held)
    reads = reads_of(held)
    assert [(r.actor, r.reason) for r in reads] == [(commander, f"break-glass: {REASON}")] * 2
    clock.move_to(NOW + HOUR)
    with pytest.raises(PermissionDenied):
        medical_record(user=commander, booking=held)
    assert len(reads_of(held)) == 2


def test_each_read_verifies_in_the_audit_chain(opened, held, commander, medic):
    medical_record(user=medic, booking=held)
    medical_record(user=commander, booking=held)
    clinical_read_audit(user=medic, booking=held, section="screenings", access=None)
    reads = reads_of(held)
    assert len(reads) == 3
    verified = audit_chain_verify()
    assert verified.ok, verified.problem
    for read in reads:
        assert read.seq <= verified.head_seq
        row = {name: getattr(read, name) for name in (
            "seq", "occurred_at", "actor_id", "actor_username", "actor_roles", "action",
            "object_type", "object_id", "object_label", "facility_id", "outcome", "reason",
            "request_id", "changes",
        )}  # fmt: skip
        assert entry_hash(read.prev_hash, payload_of(row)) == read.entry_hash


def test_a_refused_read_leaves_no_read_event(held, officer):
    with pytest.raises(PermissionDenied):
        medical_record(user=officer, booking=held)
    assert reads_of(held) == []


# --- Getters: 404 outside the user's facilities -----------------------------------------------


def test_records_of_another_facility_are_not_found(opened, held, medic, outsider):
    at = NOW
    encounter = Encounter.objects.create(
        booking=held, kind=EncounterKind.SICK_CALL, status=EncounterStatus.SCHEDULED,
        provider=medic, scheduled_for=at, scheduled_at=at, place=EncounterPlace.CLINIC,
    )  # fmt: skip
    assert encounter_get_for_user(medic, encounter.public_id) == encounter
    with pytest.raises(NotFound):
        encounter_get_for_user(outsider, encounter.public_id)
    with pytest.raises(NotFound):
        break_glass_get_for_user(outsider, opened.public_id)
    with pytest.raises(NotFound):
        encounter_get_for_user(medic, "not-a-uuid")
