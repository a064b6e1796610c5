"""Accounts API: who am I, my API tokens, releasing a locked account."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts import services
from cellblock.accounts.models import ApiToken, User
from cellblock.core.access import api_requires, api_signed_in
from cellblock.core.errors import NotFound
from cellblock.core.roles import Perm

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


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.public_id, name=token.name, prefix=token.prefix, created_at=token.created_at,
        expires_at=token.expires_at, last_used_at=token.last_used_at, revoked_at=token.revoked_at,
    )  # fmt: skip


@router.get("/me", response=MeOut, auth=api_signed_in())
def me(request: HttpRequest) -> MeOut:
    user = _user(request)
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
    return [_token_out(t) for t in _user(request).api_tokens.all()]


@router.post("/tokens", response={201: IssuedTokenOut}, auth=api_signed_in())
def create_token(request: HttpRequest, payload: TokenIn) -> Status[IssuedTokenOut]:
    issued = services.api_token_create(
        actor=_user(request), name=payload.name, expires_at=payload.expires_at
    )
    return Status(201, IssuedTokenOut(**_token_out(issued.token).model_dump(), token=issued.raw))


@router.post("/tokens/{token_id}/revoke", response=TokenOut, auth=api_signed_in())
def revoke_token(request: HttpRequest, token_id: uuid.UUID) -> TokenOut:
    user = _user(request)
    token = ApiToken.objects.filter(public_id=token_id, user=user).first()
    if token is None:
        raise NotFound(f"No token with id {token_id}.")
    return _token_out(services.api_token_revoke(actor=user, token=token))


@router.post("/users/{user_id}/unlock", response=MeOut, auth=api_requires(Perm.STAFF_MANAGE))
def unlock_user(request: HttpRequest, user_id: uuid.UUID, payload: UnlockIn) -> MeOut:
    actor = _user(request)
    managed = actor.facilities_with(Perm.STAFF_MANAGE)
    target = User.objects.filter(public_id=user_id, memberships__facility_id__in=managed).first()
    if target is None:
        raise NotFound(f"No member of staff with id {user_id}.")
    services.account_unlock(actor=actor, user=target, reason=payload.reason)
    return MeOut(
        id=target.public_id, username=target.username, full_name=target.full_name, roles=[]
    )
