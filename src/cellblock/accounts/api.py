"""Accounts API: who am I, my API tokens, and staff management for administrators."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts import services
from cellblock.accounts.models import ApiToken, User
from cellblock.accounts.selectors import StaffRow, staff_for_user, staff_get_for_user
from cellblock.core.access import acting_user, api_requires, api_signed_in
from cellblock.core.errors import NotFound
from cellblock.core.roles import Perm, Role
from cellblock.facilities.selectors import facility_get_for_user

router = Router()


class RoleOut(Schema):
    facility: uuid.UUID
    facility_name: str
    role: str


class MeOut(Schema):
    id: uuid.UUID
    username: str
    full_name: str
    roles: list[RoleOut]


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    expires_at: dt.datetime | None = None


class TokenOut(Schema):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="Shown once; only a digest is kept.")


class UnlockIn(Schema):
    reason: str = Field(min_length=1, max_length=1000)


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.public_id, name=token.name, prefix=token.prefix, created_at=token.created_at,
        expires_at=token.expires_at, last_used_at=token.last_used_at, revoked_at=token.revoked_at,
    )  # fmt: skip


@router.get("/me", response=MeOut, auth=api_signed_in())
def me(request: HttpRequest) -> MeOut:
    user = acting_user(request)
    memberships = user.memberships.filter(active=True).select_related("facility")
    return MeOut(
        id=user.public_id,
        username=user.username,
        full_name=user.full_name,
        roles=[
            RoleOut(facility=m.facility.public_id, facility_name=m.facility.name, role=m.role)
            for m in memberships
        ],
    )


@router.get("/tokens", response=list[TokenOut], auth=api_signed_in())
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    return [_token_out(t) for t in acting_user(request).api_tokens.all()]


@router.post("/tokens", response={201: IssuedTokenOut}, auth=api_signed_in())
def create_token(request: HttpRequest, payload: TokenIn) -> Status[IssuedTokenOut]:
    issued = services.api_token_create(
        actor=acting_user(request), name=payload.name, expires_at=payload.expires_at
    )
    return Status(201, IssuedTokenOut(**_token_out(issued.token).model_dump(), token=issued.raw))


@router.post("/tokens/{token_id}/revoke", response=TokenOut, auth=api_signed_in())
def revoke_token(request: HttpRequest, token_id: uuid.UUID) -> TokenOut:
    user = acting_user(request)
    token = ApiToken.objects.filter(public_id=token_id, user=user).first()
    if token is None:
        raise NotFound(f"No token with id {token_id}.")
    return _token_out(services.api_token_revoke(actor=user, token=token))


class StaffOut(Schema):
    id: uuid.UUID
    username: str
    full_name: str
    state: str = Field(description="active, locked or inactive")
    roles: list[RoleOut]


class StaffIn(Schema):
    facility: uuid.UUID
    username: str = Field(min_length=1, max_length=150)
    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=128)
    email: str = Field(default="", max_length=254)
    roles: list[Role] = Field(min_length=1)


class RoleChangeIn(Schema):
    facility: uuid.UUID
    role: Role


class ActiveIn(Schema):
    active: bool
    reason: str = Field(min_length=1, max_length=1000)


def _staff_out(user: User) -> StaffOut:
    memberships = getattr(user, "visible_memberships", None)
    if memberships is None:
        memberships = list(user.memberships.filter(active=True).select_related("facility"))
    row = StaffRow(user=user, roles=[])
    return StaffOut(
        id=user.public_id, username=user.username, full_name=user.full_name, state=row.state,
        roles=[
            RoleOut(facility=m.facility.public_id, facility_name=m.facility.name, role=m.role)
            for m in memberships
        ],
    )  # fmt: skip


@router.get("/staff", response=list[StaffOut], auth=api_requires(Perm.STAFF_VIEW))
def list_staff(request: HttpRequest) -> list[StaffOut]:
    return [_staff_out(u) for u in staff_for_user(acting_user(request))]


@router.post("/staff", response={201: StaffOut}, auth=api_requires(Perm.STAFF_MANAGE))
def create_staff(request: HttpRequest, payload: StaffIn) -> Status[StaffOut]:
    actor = acting_user(request)
    facility = facility_get_for_user(actor, payload.facility, Perm.STAFF_MANAGE)
    user = services.staff_create(
        actor=actor, facility=facility, username=payload.username, full_name=payload.full_name,
        password=payload.password, email=payload.email, roles=[r.value for r in payload.roles],
    )  # fmt: skip
    return Status(201, _staff_out(user))


@router.post("/staff/{user_id}/roles", response=StaffOut, auth=api_requires(Perm.STAFF_MANAGE))
def grant_role(request: HttpRequest, user_id: uuid.UUID, payload: RoleChangeIn) -> StaffOut:
    actor = acting_user(request)
    target = staff_get_for_user(actor, user_id, Perm.STAFF_MANAGE)
    facility = facility_get_for_user(actor, payload.facility, Perm.STAFF_MANAGE)
    services.membership_grant(actor=actor, user=target, facility=facility, role=payload.role)
    return _staff_out(User.objects.get(pk=target.pk))


@router.post(
    "/staff/{user_id}/roles/revoke", response=StaffOut, auth=api_requires(Perm.STAFF_MANAGE)
)
def revoke_role(request: HttpRequest, user_id: uuid.UUID, payload: RoleChangeIn) -> StaffOut:
    actor = acting_user(request)
    target = staff_get_for_user(actor, user_id, Perm.STAFF_MANAGE)
    facility = facility_get_for_user(actor, payload.facility, Perm.STAFF_MANAGE)
    services.membership_revoke(actor=actor, user=target, facility=facility, role=payload.role)
    return _staff_out(User.objects.get(pk=target.pk))


@router.post("/staff/{user_id}/active", response=StaffOut, auth=api_requires(Perm.STAFF_MANAGE))
def set_active(request: HttpRequest, user_id: uuid.UUID, payload: ActiveIn) -> StaffOut:
    actor = acting_user(request)
    target = staff_get_for_user(actor, user_id, Perm.STAFF_MANAGE)
    services.staff_set_active(
        actor=actor, user=target, active=payload.active, reason=payload.reason
    )
    return _staff_out(User.objects.get(pk=target.pk))


@router.post("/users/{user_id}/unlock", response=StaffOut, auth=api_requires(Perm.STAFF_MANAGE))
def unlock_user(request: HttpRequest, user_id: uuid.UUID, payload: UnlockIn) -> StaffOut:
    actor = acting_user(request)
    target = staff_get_for_user(actor, user_id, Perm.STAFF_MANAGE)
    services.account_unlock(actor=actor, user=target, reason=payload.reason)
    return _staff_out(User.objects.get(pk=target.pk))
