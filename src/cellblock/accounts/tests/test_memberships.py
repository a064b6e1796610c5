"""Granting and revoking facility roles: administrators of that facility only."""

from __future__ import annotations

import pytest

from cellblock.accounts.models import Membership
from cellblock.accounts.services import membership_grant, membership_revoke
from cellblock.audit.models import AuditEvent
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(staff_factory):
    """A member of staff with no role yet."""
    return staff_factory("nina_newcomer")


def grants(user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="membership.grant", object_id=str(user.public_id)))


def test_an_administrator_grants_a_role_at_their_facility(site, admin_user, newcomer):
    membership = membership_grant(
        actor=admin_user, user=newcomer, facility=site.facility, role=Role.OFFICER
    )
    assert membership.active
    assert newcomer.roles_at(site.facility.pk) == {Role.OFFICER}
    assert Perm.HOUSING_VIEW in newcomer.perms_at(site.facility.pk)
    (event,) = grants(newcomer)
    assert event.actor == admin_user
    assert event.facility == site.facility
    assert event.changes == {"role": "officer"}
    assert "admin" in event.actor_roles


def test_a_commander_may_grant_roles_too(site, commander, newcomer):
    membership_grant(actor=commander, user=newcomer, facility=site.facility, role=Role.MEDICAL)
    assert newcomer.roles_at(site.facility.pk) == {Role.MEDICAL}


@pytest.mark.parametrize("persona", ["officer", "supervisor", "auditor", "outsider"])
def test_staff_without_staff_management_at_the_facility_cannot_grant(
    site, newcomer, persona, request
):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied) as refused:
        membership_grant(actor=actor, user=newcomer, facility=site.facility, role=Role.COMMANDER)
    assert refused.value.code == "missing_role"
    assert not Membership.objects.filter(user=newcomer).exists()
    assert not grants(newcomer)


def test_the_outsider_manages_staff_only_at_their_own_facility(other_site, outsider, newcomer):
    membership_grant(actor=outsider, user=newcomer, facility=other_site.facility, role=Role.VISITS)
    assert newcomer.roles_at(other_site.facility.pk) == {Role.VISITS}


def test_granting_a_role_twice_is_a_conflict(site, admin_user, officer):
    with pytest.raises(Conflict) as conflict:
        membership_grant(actor=admin_user, user=officer, facility=site.facility, role=Role.OFFICER)
    assert conflict.value.code == "already_granted"
    assert Membership.objects.filter(user=officer).count() == 1


def test_an_unknown_role_is_refused_naming_the_role_field(site, admin_user, newcomer):
    with pytest.raises(ValidationFailed) as invalid:
        membership_grant(actor=admin_user, user=newcomer, facility=site.facility, role="warden")
    assert list(invalid.value.extra["fields"]) == ["role"]
    assert "'warden' is not a role" in invalid.value.message


def test_an_unknown_role_from_someone_without_the_right_is_still_refused_as_forbidden(
    site, officer, newcomer
):
    with pytest.raises(PermissionDenied):
        membership_grant(actor=officer, user=newcomer, facility=site.facility, role="warden")


def test_an_administrator_revokes_a_role_and_it_stops_counting(site, admin_user, officer):
    membership_revoke(actor=admin_user, user=officer, facility=site.facility, role=Role.OFFICER)
    assert officer.roles_at(site.facility.pk) == frozenset()
    assert not officer.facilities_with(Perm.DASHBOARD_VIEW)
    event = AuditEvent.objects.get(action="membership.revoke")
    assert (event.actor, event.facility, event.changes) == (
        admin_user,
        site.facility,
        {"role": "officer"},
    )


def test_a_revoked_role_is_granted_again_on_the_same_membership(site, admin_user, officer):
    membership_revoke(actor=admin_user, user=officer, facility=site.facility, role=Role.OFFICER)
    again = membership_grant(
        actor=admin_user, user=officer, facility=site.facility, role=Role.OFFICER
    )
    assert again.active
    assert Membership.objects.filter(user=officer).count() == 1
    assert len(grants(officer)) == 2  # the fixture's grant and this one


@pytest.mark.parametrize("persona", ["officer", "supervisor", "outsider"])
def test_staff_without_staff_management_at_the_facility_cannot_revoke(
    site, medic, persona, request
):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        membership_revoke(actor=actor, user=medic, facility=site.facility, role=Role.MEDICAL)
    assert medic.roles_at(site.facility.pk) == {Role.MEDICAL}
    assert not AuditEvent.objects.filter(action="membership.revoke").exists()


def test_revoking_a_role_that_is_not_held_is_a_conflict(site, admin_user, officer):
    with pytest.raises(Conflict) as conflict:
        membership_revoke(
            actor=admin_user, user=officer, facility=site.facility, role=Role.COMMANDER
        )
    assert conflict.value.code == "not_granted"


def test_revoking_an_unknown_role_names_the_role_field(site, admin_user, officer):
    with pytest.raises(ValidationFailed) as invalid:
        membership_revoke(actor=admin_user, user=officer, facility=site.facility, role="warden")
    assert list(invalid.value.extra["fields"]) == ["role"]


def test_a_revoked_role_closes_the_pages_it_opened(site, admin_user, auditor, client_for):
    client = client_for(auditor)
    assert client.get("/audit/").status_code == 200
    membership_revoke(actor=admin_user, user=auditor, facility=site.facility, role=Role.AUDITOR)
    assert client.get("/audit/").status_code == 403
