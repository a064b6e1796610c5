"""Facility-scoped staff roles and what each may do (deny by default).

A user holds roles per facility (``accounts.Membership``).  Code asks for a
``Perm``, never for a role, so the table below is the single place that
decides who may do what.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    COMMANDER = "commander", "Commander"
    SUPERVISOR = "supervisor", "Supervisor"
    OFFICER = "officer", "Officer"
    BOOKING = "booking", "Booking"
    CLASSIFICATION = "classification", "Classification"
    MEDICAL = "medical", "Medical"
    COURT = "court", "Court"
    VISITS = "visits", "Visits"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"


class Perm(StrEnum):
    DASHBOARD_VIEW = "dashboard.view"
    FACILITY_VIEW = "facility.view"
    FACILITY_CONFIGURE = "facility.configure"
    STAFF_VIEW = "staff.view"
    STAFF_MANAGE = "staff.manage"
    AUDIT_READ = "audit.read"
    PERSON_VIEW = "person.view"
    PERSON_EDIT = "person.edit"
    BOOKING_VIEW = "booking.view"
    BOOKING_CREATE = "booking.create"
    BOOKING_RELEASE = "booking.release"
    HOUSING_VIEW = "housing.view"
    HOUSING_ASSIGN = "housing.assign"
    # Ask for a move that a supervisor approves (officers), unless policy lets officers move.
    HOUSING_REQUEST = "housing.request"
    # Approve or refuse a requested move; review and apply an engine proposal.
    HOUSING_APPROVE = "housing.approve"
    # Run the housing engine and store its proposal.
    HOUSING_SOLVE = "housing.solve"
    # House someone against a hard rule of the rule book, with a reason (the commander).
    HOUSING_OVERRIDE = "housing.override"
    # Place someone in restrictive housing (the commander: Mandela Rules 43-45).
    RESTRICTIVE_HOUSING_AUTHORISE = "restrictive_housing.authorise"
    CLASSIFICATION_EDIT = "classification.edit"
    # Approve or refuse an override of the scored custody level.
    CLASSIFICATION_APPROVE = "classification.approve"
    # Record and end protective (no-contact) orders.
    ORDERS_EDIT = "orders.edit"
    # PREA screening: record one; read its answers (sensitive, every read audited).
    PREA_SCREEN = "prea.screen"
    PREA_READ = "prea.read"
    # Moving a population in from another system, or taking all of it out.
    RECORDS_IMPORT = "records.import"
    RECORDS_EXPORT = "records.export"


# Everyone who works with people in custody sees who is held and where.
_CUSTODY_READ = frozenset(
    {
        Perm.DASHBOARD_VIEW,
        Perm.FACILITY_VIEW,
        Perm.PERSON_VIEW,
        Perm.BOOKING_VIEW,
        Perm.HOUSING_VIEW,
    }
)

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    # Everything in the facility.
    Role.COMMANDER: frozenset(Perm),
    Role.SUPERVISOR: _CUSTODY_READ
    | {
        Perm.HOUSING_ASSIGN,
        Perm.HOUSING_REQUEST,
        Perm.HOUSING_APPROVE,
        Perm.HOUSING_SOLVE,
        Perm.STAFF_VIEW,
        Perm.BOOKING_RELEASE,
        Perm.CLASSIFICATION_APPROVE,
    },
    Role.OFFICER: _CUSTODY_READ | {Perm.HOUSING_REQUEST},
    Role.BOOKING: _CUSTODY_READ | {Perm.PERSON_EDIT, Perm.BOOKING_CREATE},
    Role.CLASSIFICATION: _CUSTODY_READ
    | {
        Perm.HOUSING_ASSIGN,
        Perm.HOUSING_REQUEST,
        Perm.HOUSING_SOLVE,
        Perm.CLASSIFICATION_EDIT,
        Perm.ORDERS_EDIT,
        Perm.PREA_SCREEN,
        Perm.PREA_READ,
    },
    # Receiving screening often includes the PREA questions.
    Role.MEDICAL: _CUSTODY_READ | {Perm.PREA_SCREEN, Perm.PREA_READ},
    Role.COURT: _CUSTODY_READ | {Perm.BOOKING_CREATE, Perm.BOOKING_RELEASE, Perm.ORDERS_EDIT},
    Role.VISITS: _CUSTODY_READ,
    # Reads everything but clinical text, and the audit log.
    Role.AUDITOR: _CUSTODY_READ | {Perm.AUDIT_READ, Perm.STAFF_VIEW, Perm.PREA_READ},
    # Users and configuration; no records of people in custody.
    Role.ADMIN: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            Perm.FACILITY_VIEW,
            Perm.FACILITY_CONFIGURE,
            Perm.STAFF_VIEW,
            Perm.STAFF_MANAGE,
        }
    ),
}


def perms_for_roles(roles: frozenset[str] | set[str]) -> frozenset[Perm]:
    granted: set[Perm] = set()
    for role in roles:
        granted |= ROLE_PERMS.get(Role(role), frozenset())
    return frozenset(granted)
