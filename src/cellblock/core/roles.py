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
    # Custody operations (the custody app).
    # Enter what was counted on a count sheet.
    COUNT_RECORD = "count.record"
    # Start a formal count, reconcile a discrepancy, clear or cancel the count.
    COUNT_CLEAR = "count.clear"
    # Take someone out of their cell or the facility, and record the return.
    MOVEMENT_RECORD = "movement.record"
    # Observation rounds and welfare checks.
    ROUNDS_RECORD = "rounds.record"
    # Apply restraints and record the 15-minute checks.
    RESTRAINT_APPLY = "restraint.apply"
    # Authorise restraints, their removal, and (as the custody side) an extension past 2 h.
    RESTRAINT_AUTHORISE = "restraint.authorise"
    # The medical side of an extension past 2 h.
    RESTRAINT_MEDICAL_APPROVE = "restraint.medical_approve"
    # Take restraints off (an officer or a medic; without authority it is recorded as such).
    RESTRAINT_REMOVE = "restraint.remove"
    # Issue and revoke time-boxed entry grants to a named staff member.
    ENTRY_GRANT = "entry.grant"
    # Operate doors and record who passed.
    DOOR_OPERATE = "door.operate"
    # Put officers on guard posts for a shift.
    POSTS_ASSIGN = "posts.assign"
    # Record meals (served, refused, missed, outside food).
    MEALS_RECORD = "meals.record"
    # Report a cell's condition on shift: bars damaged, a light fitted, the cell unusable.
    CELL_CONDITION_REPORT = "cell.condition_report"
    # Report an incident and add follow-up notes.
    INCIDENT_REPORT = "incident.report"
    # Review, move along and close incidents.
    INCIDENT_REVIEW = "incident.review"
    # The alert board and the compliance report.
    COMPLIANCE_VIEW = "compliance.view"
    # Run the compliance sweep now (it also runs on a schedule).
    COMPLIANCE_SWEEP = "compliance.sweep"
    # Visits (the visits app).
    VISIT_VIEW = "visit.view"
    # Register visitors, check their identity, approve them, keep visiting lists.
    VISITOR_MANAGE = "visitor.manage"
    # Bar a visitor from the facility, and lift the bar.
    VISITOR_BAN = "visitor.ban"
    # Book, move and cancel visits.
    VISIT_SCHEDULE = "visit.schedule"
    # Authorise an in-cell visit.
    VISIT_AUTHORISE = "visit.authorise"
    # Let one visit go ahead against the refusal rules, with a reason and conditions.
    VISIT_OVERRIDE = "visit.override"
    # Suspend a person's visits as a sanction.
    VISIT_SUSPEND = "visit.suspend"
    # Visit day: check visitors in, screen items, start, end and check out.
    VISIT_OPERATE = "visit.operate"
    # Inmate requests and grievances (the requests app).
    REQUEST_VIEW = "request.view"
    # File a request for a person in custody (on paper, through an officer, at a kiosk).
    REQUEST_FILE = "request.file"
    # Route any request, answer or close it whoever it is addressed to.
    REQUEST_MANAGE = "request.manage"
    # Medical (the medical app).  Appointments, sick-call status and care alerts: who,
    # when, where; never what for.
    MEDICAL_VIEW = "medical.view"
    # Clinical text: screening answers, complaints, findings, notes, vitals, injuries,
    # consent records.  Medical roles only; every read is audited.
    CLINICAL_READ = "clinical.read"
    # Receiving screening, encounters, notes, consent and refusal, care alerts.
    CLINICAL_RECORD = "clinical.record"
    # Let an encounter go ahead with a provider the person is alleged to have harmed.
    MEDICAL_CONFLICT_ACKNOWLEDGE = "medical.conflict_acknowledge"
    # Open one person's medical record in an emergency, for a while (break-glass).
    BREAK_GLASS = "medical.break_glass"
    # The list of break-glass openings, and marking one reviewed.
    BREAK_GLASS_REVIEW = "medical.break_glass_review"
    # Court (the court app): cases, hearings, verdicts, sentences, credits, holds.
    COURT_VIEW = "court.view"
    COURT_RECORD = "court.record"
    # Jurisdictions, courts and credit rules (a new rule version recomputes release dates).
    CREDIT_RULES_MANAGE = "court.credit_rules"
    # Look at a recomputed release date and mark the difference reviewed.
    RELEASE_DATE_REVIEW = "release_date.review"
    # Work through a release checklist: property, money, visits (the medical step needs
    # clinical.record).  Starting and completing a release needs booking.release.
    RELEASE_PROCESS = "release.process"
    # Release to an assignment (the commander: DESIGN.md's roles).
    RELEASE_ASSIGNMENT = "release.assignment"
    # Release before the computed date, with a reason (the commander).
    RELEASE_OVERRIDE = "release.override"
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
        Perm.COMPLIANCE_VIEW,
        Perm.VISIT_VIEW,
        Perm.REQUEST_VIEW,
        Perm.MEDICAL_VIEW,
        Perm.COURT_VIEW,
    }
)

# Clinical text is for medical roles only: not even the commander holds these (she has
# break-glass for an emergency).
CLINICAL = frozenset({Perm.CLINICAL_READ, Perm.CLINICAL_RECORD})

# What every officer does on a shift.
_OFFICER_WORK = frozenset(
    {
        Perm.HOUSING_REQUEST,
        Perm.COUNT_RECORD,
        Perm.MOVEMENT_RECORD,
        Perm.ROUNDS_RECORD,
        Perm.RESTRAINT_APPLY,
        Perm.RESTRAINT_REMOVE,
        Perm.DOOR_OPERATE,
        Perm.MEALS_RECORD,
        Perm.INCIDENT_REPORT,
        Perm.CELL_CONDITION_REPORT,
        Perm.VISIT_OPERATE,
        Perm.REQUEST_FILE,
        Perm.RELEASE_PROCESS,
    }
)

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    # Everything in the facility but clinical text.
    Role.COMMANDER: frozenset(Perm) - CLINICAL,
    Role.SUPERVISOR: _CUSTODY_READ
    | _OFFICER_WORK
    | {
        Perm.COUNT_CLEAR,
        Perm.RESTRAINT_AUTHORISE,
        Perm.ENTRY_GRANT,
        Perm.POSTS_ASSIGN,
        Perm.INCIDENT_REVIEW,
        Perm.COMPLIANCE_SWEEP,
        Perm.HOUSING_ASSIGN,
        Perm.HOUSING_REQUEST,
        Perm.HOUSING_APPROVE,
        Perm.HOUSING_SOLVE,
        Perm.STAFF_VIEW,
        Perm.BOOKING_RELEASE,
        Perm.CLASSIFICATION_APPROVE,
        Perm.VISITOR_MANAGE,
        Perm.VISITOR_BAN,
        Perm.VISIT_SCHEDULE,
        Perm.VISIT_AUTHORISE,
        Perm.VISIT_SUSPEND,
        Perm.REQUEST_MANAGE,
        Perm.MEDICAL_CONFLICT_ACKNOWLEDGE,
    },
    Role.OFFICER: _CUSTODY_READ | _OFFICER_WORK,
    Role.BOOKING: _CUSTODY_READ | {Perm.PERSON_EDIT, Perm.BOOKING_CREATE, Perm.RELEASE_PROCESS},
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
    # Medics cut restraints and bring food when care needs it; they approve long restraint.
    Role.MEDICAL: _CUSTODY_READ
    | {
        Perm.PREA_SCREEN,
        Perm.PREA_READ,
        Perm.RESTRAINT_MEDICAL_APPROVE,
        Perm.RESTRAINT_REMOVE,
        Perm.MEALS_RECORD,
        Perm.INCIDENT_REPORT,
        Perm.REQUEST_FILE,
        Perm.CLINICAL_READ,
        Perm.CLINICAL_RECORD,
        Perm.BREAK_GLASS_REVIEW,
    },
    # The court clerk: cases, hearings, verdicts, sentences and holds; releases on a court's
    # order (bail, acquittal) and reviews recomputed release dates.
    Role.COURT: _CUSTODY_READ
    | {
        Perm.BOOKING_CREATE,
        Perm.BOOKING_RELEASE,
        Perm.ORDERS_EDIT,
        Perm.COURT_RECORD,
        Perm.RELEASE_DATE_REVIEW,
        Perm.RELEASE_PROCESS,
    },
    # The front desk: the registry, the schedule, checking visitors in and out.
    Role.VISITS: _CUSTODY_READ
    | {Perm.VISITOR_MANAGE, Perm.VISIT_SCHEDULE, Perm.VISIT_OPERATE, Perm.REQUEST_FILE},
    # Reads everything but clinical text, and the audit log.
    Role.AUDITOR: _CUSTODY_READ
    | {Perm.AUDIT_READ, Perm.STAFF_VIEW, Perm.PREA_READ, Perm.BREAK_GLASS_REVIEW},
    # Users and configuration; no records of people in custody.
    Role.ADMIN: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            Perm.FACILITY_VIEW,
            Perm.FACILITY_CONFIGURE,
            Perm.STAFF_VIEW,
            Perm.STAFF_MANAGE,
            # Jurisdictions, courts and their credit rules are configuration.
            Perm.CREDIT_RULES_MANAGE,
        }
    ),
}


def perms_for_roles(roles: frozenset[str] | set[str]) -> frozenset[Perm]:
    granted: set[Perm] = set()
    for role in roles:
        granted |= ROLE_PERMS.get(Role(role), frozenset())
    return frozenset(granted)
