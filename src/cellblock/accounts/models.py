"""Staff users, their facility-scoped roles, login failures and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from cellblock.core.ids import public_id_field
from cellblock.core.roles import Perm, Role, perms_for_roles


class User(AbstractUser):
    """A member of staff.  Roles come from memberships, one per facility and role."""

    public_id = public_id_field()
    full_name = models.CharField(max_length=200)
    # Set when the account is locked after repeated failures; only an
    # administrator clears it (CJIS).
    locked_at = models.DateTimeField(null=True, blank=True)
    # Failures before the last release no longer count towards a new lock.
    last_unlocked_at = models.DateTimeField(null=True, blank=True)

    REQUIRED_FIELDS = ["email", "full_name"]

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    # Roles are read once per request and kept on the instance.
    def facility_roles(self) -> dict[int, frozenset[str]]:
        cached: dict[int, frozenset[str]] | None = getattr(self, "_facility_roles", None)
        if cached is None:
            grouped: dict[int, set[str]] = {}
            for facility_id, role in self.memberships.filter(active=True).values_list(
                "facility_id", "role"
            ):
                grouped.setdefault(facility_id, set()).add(role)
            cached = {fid: frozenset(roles) for fid, roles in grouped.items()}
            self._facility_roles = cached
        return cached

    def forget_roles(self) -> None:
        self.__dict__.pop("_facility_roles", None)

    def roles_at(self, facility_id: int) -> frozenset[str]:
        return self.facility_roles().get(facility_id, frozenset())

    def perms_at(self, facility_id: int) -> frozenset[Perm]:
        return perms_for_roles(self.roles_at(facility_id))

    def facilities_with(self, perm: Perm) -> list[int]:
        return [
            fid for fid, roles in self.facility_roles().items() if perm in perms_for_roles(roles)
        ]


class Membership(models.Model):
    """``user`` holds ``role`` at ``facility``."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    active = models.BooleanField(default=True)
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "facility", "role"], name="accounts_membership_one_per_role"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="accounts_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.facility_id}"


class LoginFailure(models.Model):
    """One failed password login, counted towards a lockout."""

    username = models.CharField(max_length=150, db_index=True)
    occurred_at = models.DateTimeField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.username} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class ApiToken(models.Model):
    """A personal token for API clients.  Only its SHA-256 digest is stored."""

    public_id = public_id_field()
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # First characters of the token, shown so staff can tell tokens apart.
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                name="accounts_apitoken_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
