"""Writes on staff accounts: users, roles, lockout, sign-in records, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from cellblock.accounts.models import ApiToken, LoginFailure, Membership, User
from cellblock.audit.models import Outcome
from cellblock.audit.services import audit_record
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm, Role
from cellblock.facilities.models import Facility

ACCOUNT_LOCKED = (
    "This account is locked after repeated failed sign-ins. An administrator must release it."
)
TOKEN_PREFIX = "cbk_"  # noqa: S105  (marks our tokens; not a secret)


def _require_admin_of(actor: User, facility: Facility) -> None:
    # An installation administrator (superuser) names a new facility's first administrator.
    if actor.is_superuser:
        return
    if Perm.STAFF_MANAGE not in actor.perms_at(facility.pk):
        raise PermissionDenied(
            f"Managing staff at {facility.name} needs the administrator or commander role.",
            code="missing_role",
        )


def _require_admin_of_any_facility_of(actor: User, user_id: int, message: str) -> None:
    """Accounts span facilities: an administrator at any one of them may act on it."""
    facility_ids = Membership.objects.filter(user_id=user_id).values_list("facility_id", flat=True)
    if not any(Perm.STAFF_MANAGE in actor.perms_at(fid) for fid in set(facility_ids)):
        raise PermissionDenied(message, code="missing_role")


def user_create(
    *,
    actor: User | None,
    username: str,
    full_name: str,
    password: str,
    email: str = "",
    check_password_rules: bool = True,
) -> User:
    """Create a member of staff.  ``actor`` None means the system (demo, set-up)."""
    username = username.strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["is required."]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [f"'{username}' is already taken."]
    if not full_name.strip():
        errors["full_name"] = ["is required."]
    if check_password_rules:
        try:
            validate_password(password, User(username=username, full_name=full_name))
        except DjangoValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        user = User(username=username, full_name=full_name.strip(), email=email)
        user.set_password(password)
        user.save()
        audit_record(
            actor=actor,
            action="user.create",
            obj=user,
            changes={"username": username, "full_name": user.full_name},
        )
    return user


def membership_grant(
    *, actor: User | None, user: User, facility: Facility, role: str
) -> Membership:
    """Give ``user`` a role at ``facility``."""
    # Who may act comes first, so a caller without the right learns nothing more.
    if actor is not None:
        _require_admin_of(actor, facility)
    if role not in Role.values:
        raise ValidationFailed.for_fields(
            {"role": [f"'{role}' is not a role; choose one of {', '.join(Role.values)}."]}
        )
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, facility=facility, role=role, defaults={"granted_at": clock.now()}
        )
        if not created and membership.active:
            raise Conflict(
                f"{user} already holds the {role} role at {facility}.", code="already_granted"
            )
        if not created:
            membership.active = True
            membership.granted_at = clock.now()
            membership.save(update_fields=["active", "granted_at"])
        audit_record(
            actor=actor,
            action="membership.grant",
            obj=user,
            facility=facility,
            changes={"role": role},
        )
    user.forget_roles()
    return membership


def membership_revoke(*, actor: User, user: User, facility: Facility, role: str) -> Membership:
    """Take a role at ``facility`` away from ``user``."""
    _require_admin_of(actor, facility)
    if role not in Role.values:
        raise ValidationFailed.for_fields(
            {"role": [f"'{role}' is not a role; choose one of {', '.join(Role.values)}."]}
        )
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(user=user, facility=facility, role=role, active=True)
            .first()
        )
        if membership is None:
            raise Conflict(
                f"{user} does not hold the {role} role at {facility}.", code="not_granted"
            )
        membership.active = False
        membership.save(update_fields=["active"])
        audit_record(
            actor=actor, action="membership.revoke", obj=user, facility=facility,
            changes={"role": role},
        )  # fmt: skip
    user.forget_roles()
    return membership


# --- sign-in ---------------------------------------------------------------


def login_failure_record(*, username: str, ip_address: str | None) -> bool:
    """Count a failed sign-in; lock the account at the limit.  Returns True if now locked."""
    now = clock.now()
    window_start = now - dt.timedelta(minutes=settings.CELLBLOCK_LOGIN_FAILURE_WINDOW_MINUTES)
    with transaction.atomic():
        LoginFailure.objects.create(username=username[:150], occurred_at=now, ip_address=ip_address)
        user = User.objects.select_for_update().filter(username__iexact=username).first()
        audit_record(
            actor=None,
            action="auth.login_failed",
            obj=user,
            object_type="" if user else "accounts.user",
            object_id="" if user else username[:64],
            outcome=Outcome.FAILED,
            changes={"username": username[:150], "ip": ip_address},
        )
        if user is None or user.locked_at is not None:
            return user is not None
        recent = LoginFailure.objects.filter(
            username__iexact=username, occurred_at__gte=window_start
        )
        # Failures before the last release do not count again.
        if user.last_unlocked_at is not None:
            recent = recent.filter(occurred_at__gt=user.last_unlocked_at)
        if recent.count() < settings.CELLBLOCK_LOGIN_FAILURE_LIMIT:
            return False
        user.locked_at = now
        user.save(update_fields=["locked_at"])
        audit_record(
            actor=None,
            action="user.lock",
            obj=user,
            reason=(
                f"{settings.CELLBLOCK_LOGIN_FAILURE_LIMIT} failed sign-ins within "
                f"{settings.CELLBLOCK_LOGIN_FAILURE_WINDOW_MINUTES} minutes"
            ),
        )
        return True


def login_refused_locked_record(*, user: User, ip_address: str | None) -> None:
    with transaction.atomic():
        audit_record(
            actor=None, action="auth.login_refused", obj=user, outcome=Outcome.DENIED,
            reason="account locked", changes={"ip": ip_address},
        )  # fmt: skip


def login_success_record(*, user: User, ip_address: str | None) -> None:
    with transaction.atomic():
        audit_record(actor=user, action="auth.login", obj=user, changes={"ip": ip_address})


def logout_record(*, user: User, reason: str = "") -> None:
    with transaction.atomic():
        audit_record(actor=user, action="auth.logout", obj=user, reason=reason)


def account_unlock(*, actor: User, user: User, reason: str) -> User:
    """Release a locked account.  Needs STAFF_MANAGE at one of the user's facilities."""
    _require_admin_of_any_facility_of(
        actor,
        user.pk,
        "Releasing a locked account needs the administrator role at one of its facilities.",
    )
    if not reason.strip():
        raise ValidationFailed.for_fields({"reason": ["is required to release a locked account."]})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.locked_at is None:
            raise Conflict(f"{locked} is not locked.", code="not_locked")
        now = clock.now()
        locked.locked_at = None
        locked.last_unlocked_at = now
        locked.save(update_fields=["locked_at", "last_unlocked_at"])
        audit_record(actor=actor, action="user.unlock", obj=locked, reason=reason.strip())
    return locked


def staff_create(
    *,
    actor: User,
    facility: Facility,
    username: str,
    full_name: str,
    password: str,
    roles: list[str],
    email: str = "",
) -> User:
    """A new member of staff with their first roles at ``facility``, all or nothing."""
    _require_admin_of(actor, facility)
    if not roles:
        raise ValidationFailed.for_fields({"roles": ["give at least one role."]})
    bad = [role for role in roles if role not in Role.values]
    if bad:
        raise ValidationFailed.for_fields(
            {"roles": [f"'{r}' is not a role; choose from {', '.join(Role.values)}." for r in bad]}
        )
    with transaction.atomic():
        user = user_create(
            actor=actor, username=username, full_name=full_name, password=password, email=email
        )
        for role in dict.fromkeys(roles):
            membership_grant(actor=actor, user=user, facility=facility, role=role)
    return user


def staff_set_active(*, actor: User, user: User, active: bool, reason: str) -> User:
    """Deactivate a member of staff who left (or reactivate one who returned).

    A deactivated account cannot sign in and its API tokens stop working; its
    history stays, since audit events point at it.
    """
    _require_admin_of_any_facility_of(
        actor,
        user.pk,
        "Changing this account needs the administrator role at one of its facilities.",
    )
    if actor.pk == user.pk and not active:
        raise Conflict("You cannot deactivate your own account.", code="self_deactivation")
    if not reason.strip():
        raise ValidationFailed.for_fields({"reason": ["is required."]})
    with transaction.atomic():
        target = User.objects.select_for_update().get(pk=user.pk)
        if target.is_active == active:
            state = "active" if active else "inactive"
            raise Conflict(f"{target} is already {state}.", code="no_change")
        target.is_active = active
        target.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="user.activate" if active else "user.deactivate",
            obj=target,
            reason=reason.strip(),
        )
    return target


# --- API tokens ------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    # Shown once, at creation; only its digest is kept.
    raw: str


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_token_create(
    *, actor: User, name: str, expires_at: dt.datetime | None = None
) -> IssuedToken:
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["is required."]
    elif len(name) > 100:
        errors["name"] = ["must be at most 100 characters."]
    now = clock.now()
    if expires_at is not None and timezone.is_naive(expires_at):
        errors["expires_at"] = ["must include a time zone, e.g. 2026-05-01T18:00:00Z."]
    elif expires_at is not None and expires_at <= now:
        errors["expires_at"] = ["must be in the future."]
    if errors:
        raise ValidationFailed.for_fields(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=raw[: len(TOKEN_PREFIX) + 8],
            digest=_digest(raw),
            created_at=now,
            expires_at=expires_at,
        )
        audit_record(
            actor=actor, action="apitoken.create", obj=token,
            changes={"name": name, "expires_at": expires_at},
        )  # fmt: skip
    return IssuedToken(token=token, raw=raw)


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one's own token (administrators may revoke anyone's at their facility)."""
    if token.user_id != actor.pk:
        _require_admin_of_any_facility_of(
            actor, token.user_id, "Only the owner or an administrator may revoke this token."
        )
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise Conflict("This token is already revoked.", code="already_revoked")
        locked.revoked_at = clock.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="apitoken.revoke", obj=locked)
    return locked


def api_token_authenticate(*, raw_token: str) -> User | None:
    """The active user behind a token, or None.  Constant-time digest comparison."""
    if not raw_token.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(raw_token)
    now = clock.now()
    for token in ApiToken.objects.select_related("user").filter(
        prefix=raw_token[: len(TOKEN_PREFIX) + 8], revoked_at__isnull=True
    ):
        if not hmac.compare_digest(token.digest, digest):
            continue
        if token.expires_at is not None and token.expires_at <= now:
            return None
        user = token.user
        if not user.is_active or user.locked_at is not None:
            return None
        # Touch at most once a minute: a busy client should not write every call.
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user
    return None
