"""Scheduling warnings: pure functions over plain data, no database.

Before an encounter is booked the scheduler is told what will happen when the
provider arrives: the person refuses all care, or every provider but one, or
this treatment; or the provider is someone the person is in conflict with.
Consent and refusal are the person's to give at the door, so a refusal on
record only warns; it never stops the booking.  The one warning that holds
the encounter back is a staff-victim conflict: the provider is the person's
alleged victim, and a supervisor (not the provider) must acknowledge it first.

The facts come as dataclasses so tests call ``scheduling_warnings`` without a
database.  Only records in force are passed (consent records not withdrawn,
staff conflicts in force); dates are shown as given, so the caller passes them
on the facility's wall clock.  Messages name the person, the provider and the
record's date, and never the treatment (warnings are stored on the encounter
and custody staff may see them: they are not clinical).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

# The values of medical.ConsentDecision, ConsentScope and classification.ConflictKind.
CONSENT = "consent"
REFUSAL = "refusal"
GENERAL = "general"
TREATMENT = "treatment"
ALLEGED_VICTIM = "alleged_victim"

# Warning codes.
PROVIDER_REFUSED = "provider_refused"
CARE_REFUSED = "care_refused"
TREATMENT_REFUSED = "treatment_refused"
STAFF_VICTIM_CONFLICT = "staff_victim_conflict"
STAFF_CONFLICT = "staff_conflict"

# What custody staff may read of an encounter's warnings: the staff conflicts (custody
# keeps those too).  A refusal of care is the person's medical decision: medical only.
CUSTODY_WARNING_CODES = frozenset({STAFF_VICTIM_CONFLICT, STAFF_CONFLICT})

MESSAGES: dict[str, str] = {
    PROVIDER_REFUSED: (
        "{person} refuses every provider except {allowed} (refusal recorded {date}): "
        "expect {them} to refuse {provider}."
    ),
    CARE_REFUSED: (
        "{person} refuses all care (refusal recorded {date}): expect {them} to refuse {provider}."
    ),
    TREATMENT_REFUSED: (
        "{person} refuses this treatment (refusal recorded {date}): expect {them} to refuse it "
        "from {provider} too."
    ),
    STAFF_VICTIM_CONFLICT: (
        "{provider} is the alleged victim of {person} (staff conflict recorded {date}): "
        "a supervisor must acknowledge before the encounter goes ahead."
    ),
    STAFF_CONFLICT: (
        "{provider} has a staff conflict with {person} ({kind}, recorded {date}): "
        "consider another provider, or a second member of staff present."
    ),
}

# How a plain conflict is described in its warning (classification.ConflictKind).
CONFLICT_KINDS: dict[str, str] = {
    "family": "a family or personal relationship",
    "other": "a conflict of interest",
}


@dataclass(frozen=True)
class ConsentFact:
    """A consent or refusal on record, not withdrawn."""

    decision: str
    scope: str
    # The treatment a treatment-scope record names ("" for a general one).
    treatment: str
    # "Refuses every provider except X": X's id and name.
    except_provider_id: int | None
    except_provider: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class ConflictFact:
    """A staff conflict in force between the person and a member of staff."""

    staff_id: int
    staff: str
    kind: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class SchedulingWarning:
    code: str
    message: str
    # The encounter waits for a supervisor's acknowledgement (staff-victim conflict).
    needs_acknowledgement: bool = False

    def as_dict(self) -> dict[str, object]:
        """As kept on the encounter (``Encounter.warnings``); ``stored_warnings`` reads it back."""
        return {
            "code": self.code,
            "message": self.message,
            "needs_acknowledgement": self.needs_acknowledgement,
        }


def stored_warnings(stored: object) -> list[SchedulingWarning]:
    """The warnings kept on an encounter when it was scheduled, read back from its JSON.

    Anything but a list of objects (a row written by hand, say) reads as no warning
    rather than breaking the page or the answer that shows the encounter.
    """
    if not isinstance(stored, list):
        return []
    return [
        SchedulingWarning(
            code=str(item.get("code", "")),
            message=str(item.get("message", "")),
            needs_acknowledgement=bool(item.get("needs_acknowledgement", False)),
        )
        for item in stored
        if isinstance(item, dict)
    ]


def day(moment: dt.datetime) -> str:
    """14 Mar 2026: the record's date as medics write it."""
    return f"{moment.day} {moment:%b %Y}"


def _newest(facts: Sequence[ConsentFact]) -> ConsentFact | None:
    return max(facts, key=lambda fact: fact.recorded_at, default=None)


def _same_treatment(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _consent_warnings(
    *, person: str, them: str, provider_id: int, provider: str, treatment: str,
    consents: Sequence[ConsentFact],
) -> list[SchedulingWarning]:  # fmt: skip
    found = []
    # The newest general record governs: a consent given after a refusal ends it.
    general = _newest([fact for fact in consents if fact.scope == GENERAL])
    if general is not None and general.decision == REFUSAL:
        values = {
            "person": person, "them": them, "provider": provider,
            "date": day(general.recorded_at), "allowed": general.except_provider,
        }  # fmt: skip
        if general.except_provider_id is None:
            found.append(SchedulingWarning(CARE_REFUSED, MESSAGES[CARE_REFUSED].format(**values)))
        elif general.except_provider_id != provider_id:
            found.append(
                SchedulingWarning(PROVIDER_REFUSED, MESSAGES[PROVIDER_REFUSED].format(**values))
            )
    if treatment.strip():
        # Likewise the newest record about this treatment.
        same = _newest(
            [
                fact
                for fact in consents
                if fact.scope == TREATMENT and _same_treatment(fact.treatment, treatment)
            ]
        )
        if same is not None and same.decision == REFUSAL:
            message = MESSAGES[TREATMENT_REFUSED].format(
                person=person, them=them, provider=provider, date=day(same.recorded_at)
            )
            found.append(SchedulingWarning(TREATMENT_REFUSED, message))
    return found


def _conflict_warnings(
    *, person: str, provider_id: int, provider: str, conflicts: Sequence[ConflictFact]
) -> list[SchedulingWarning]:
    found = []
    for fact in sorted(conflicts, key=lambda f: f.recorded_at):
        if fact.staff_id != provider_id:
            continue
        if fact.kind == ALLEGED_VICTIM:
            message = MESSAGES[STAFF_VICTIM_CONFLICT].format(
                provider=provider, person=person, date=day(fact.recorded_at)
            )
            found.append(
                SchedulingWarning(STAFF_VICTIM_CONFLICT, message, needs_acknowledgement=True)
            )
        else:
            message = MESSAGES[STAFF_CONFLICT].format(
                provider=provider, person=person, date=day(fact.recorded_at),
                kind=CONFLICT_KINDS.get(fact.kind, CONFLICT_KINDS["other"]),
            )  # fmt: skip
            found.append(SchedulingWarning(STAFF_CONFLICT, message))
    return found


def scheduling_warnings(
    *,
    person: str,
    provider_id: int,
    provider: str,
    treatment: str,
    consents: Sequence[ConsentFact],
    conflicts: Sequence[ConflictFact],
    them: str = "them",
) -> list[SchedulingWarning]:
    """What scheduling ``provider`` to see ``person`` (for ``treatment``, if named) runs into.

    ``them`` is how messages refer to the person ("him", "her"; "them" by default).
    """
    return [
        *_consent_warnings(
            person=person, them=them, provider_id=provider_id, provider=provider,
            treatment=treatment, consents=consents,
        ),
        *_conflict_warnings(
            person=person, provider_id=provider_id, provider=provider, conflicts=conflicts
        ),
    ]  # fmt: skip


def needs_acknowledgement(warnings: Sequence[SchedulingWarning]) -> bool:
    return any(warning.needs_acknowledgement for warning in warnings)


def custody_warnings(warnings: Sequence[SchedulingWarning]) -> list[SchedulingWarning]:
    """The warnings custody staff may read (``CUSTODY_WARNING_CODES``)."""
    return [warning for warning in warnings if warning.code in CUSTODY_WARNING_CODES]
