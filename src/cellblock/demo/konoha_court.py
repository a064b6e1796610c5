"""Konoha's court records and releases as the demo opens (case file 1, steps 1 and 8).

The village's sentencing law takes a quarter off for good conduct (version 1 of
the KONOHA credit rules) and allows five days of earned credit a month.
Tsunade presides over the court in the village hall.

- **Kakashi** was found guilty yesterday and sentenced to two years; his release
  date is computed and reviewed by Shikaku, the court clerk.
- **Gatō** served his eight days for fraud: his sentence was corrected for the
  day he spent in the cells before it (a change of date not yet reviewed), he
  is due out today, and his release checklist is under way.
- **Kabuto** is due out in two days, but Otogakure has lodged a detainer: the
  board shows what holds him.
- **Mizuki** goes to trial tomorrow and **Sasuke** in ten days (both to be
  produced from the prison); **Naruto**'s review hearing was this morning and
  nobody brought him up from the lower level: a missed production.

Everything goes through the services; each part is written only when missing.
"""

from __future__ import annotations

import datetime as dt

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.models import ProtectedRole, ProtectiveOrder
from cellblock.core import clock
from cellblock.court.models import Case, Court, HoldKind, Jurisdiction, ReleaseDateChange
from cellblock.court.sentencing import Term
from cellblock.court.services.cases import CaseChargeData, case_open
from cellblock.court.services.config import court_create, credit_rule_add, jurisdiction_create
from cellblock.court.services.hearings import hearing_schedule
from cellblock.court.services.holds import hold_place
from cellblock.court.services.release_dates import release_date_change_review
from cellblock.court.services.verdicts import (
    SentenceData,
    VerdictData,
    sentence_correct,
    verdict_record,
)
from cellblock.custody.schedule import at_local, local_date
from cellblock.facilities.models import Facility
from cellblock.release.models import Release, ReleaseKind
from cellblock.release.services import release_property_return, release_start

JURISDICTION = "KONOHA"
COURT = "KVH"
PRESIDING = "Tsunade, Fifth Hokage"
TEN = dt.time(10, 0)
DOCKETS = {
    "Kakashi": "KON-CR-2026-0042",
    "Gatō": "KON-CR-2026-0077",
    "Kabuto": "KON-CR-2026-0031",
    "Mizuki": "KON-CR-2026-0019",
    "Sasuke": "KON-CR-2026-0051",
    "Naruto": "KON-CR-2026-0010",
}


def court_records(facility: Facility) -> None:
    """The court, its rules, the cases of the people held, their hearings and releases."""
    staff = {
        user.username: user
        for user in User.objects.filter(
            username__in=("tsunade", "shikaku", "hiroki", "konoha_admin")
        )
    }
    court = _court(facility, staff["konoha_admin"])
    held = {
        booking.person.given_name: booking
        for booking in Booking.objects.filter(
            facility=facility, status__in=OPEN_STATUSES
        ).select_related("person", "facility")
    }
    clerk, tsunade = staff["shikaku"], staff["tsunade"]
    if "Kakashi" in held:
        _kakashi_sentenced(court, held["Kakashi"], clerk, tsunade)
    if "Gatō" in held:
        _gato_due_today(court, held["Gatō"], clerk, tsunade, staff["hiroki"])
    if "Kabuto" in held:
        _kabuto_held_for_otogakure(court, held["Kabuto"], clerk, tsunade)
    now = clock.now()
    today = local_date(now, facility.timezone)
    this_morning = (now - dt.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    for name, kind, when, charge in (
        ("Mizuki", "trial", at_local(today + dt.timedelta(days=1), TEN, facility.timezone),
         ("KPC 484", "Theft of the Scroll of Seals", "felony")),
        ("Sasuke", "trial", at_local(today + dt.timedelta(days=10), TEN, facility.timezone),
         ("KPC 187/664", "Attempted murder of Sakura Haruno", "felony")),
        # Two hours ago: the child in the dark cell was never brought up.
        ("Naruto", "review", this_morning,
         ("KPC 187/664", "Attempted killing of villagers with the fox's chakra", "felony")),
    ):  # fmt: skip
        if name in held:
            case = _case(court, held[name], clerk, charge)
            if not case.hearings.exists():
                hearing_schedule(actor=clerk, case=case, kind=kind, scheduled_at=when)


def _court(facility: Facility, admin: User) -> Court:
    jurisdiction = Jurisdiction.objects.filter(
        agency=facility.agency, code=JURISDICTION
    ).first() or jurisdiction_create(
        actor=admin, facility=facility, code=JURISDICTION, name="Land of Fire (Konoha)"
    )
    if not jurisdiction.credit_rules.exists():
        credit_rule_add(
            actor=admin, facility=facility, jurisdiction=jurisdiction,
            applies_from=dt.date(2000, 1, 1), good_time=(1, 4), earned_days_per_month_cap=5,
            source="Konoha village ordinance 12: remission for good conduct and for work",
        )  # fmt: skip
    return Court.objects.filter(agency=facility.agency, code=COURT).first() or court_create(
        actor=admin, facility=facility, code=COURT, name="Konoha court",
        jurisdiction=jurisdiction, location="Courtroom, village hall",
    )  # fmt: skip


def _case(
    court: Court, booking: Booking, clerk: User, charge: tuple[str, str, str] | None = None
) -> Case:
    """The person's case, filed on the day they were booked, its count linked to the booking."""
    docket = DOCKETS[booking.person.given_name]
    found = Case.objects.filter(court=court, docket_number=docket).first()
    if found is not None:
        return found
    booked_on = booking.charges.order_by("id").get()
    statute, description, severity = charge or (
        booked_on.statute,
        booked_on.description,
        booked_on.severity,
    )
    parties = []
    # The protected party of the visits demo's court order is the case's victim.
    order = ProtectiveOrder.objects.filter(person=booking.person).first()
    if order is not None:
        parties.append((order.protected_person, ProtectedRole.PROTECTED_PARTY))
    return case_open(
        actor=clerk, facility=booking.facility, court=court, docket_number=docket,
        person=booking.person, presiding_authority=PRESIDING,
        presiding_user=User.objects.get(username="tsunade"),
        charges=[CaseChargeData(statute, description, severity, booking_charge=booked_on)],
        parties=parties, filed_at=booking.booked_at,
    )  # fmt: skip


def _sentence(
    court: Court,
    booking: Booking,
    clerk: User,
    tsunade: User,
    *,
    days_ago: int,
    term: Term,
    time_served_days: int | None = None,
) -> Case:
    """Guilty on the one count, ``days_ago``, with ``term``; the first date reviewed."""
    case = _case(court, booking, clerk)
    if case.sentences.exists():
        return case
    at = max(booking.booked_at, clock.now() - dt.timedelta(days=days_ago))
    [count] = list(case.charges.all())
    verdict_record(
        actor=tsunade, case=case, verdicts=[VerdictData(count, "guilty")],
        sentences=[SentenceData(count, term, time_served_days=time_served_days)], at=at,
    )  # fmt: skip
    for change in ReleaseDateChange.objects.filter(booking=booking, reviewed_at__isnull=True):
        release_date_change_review(actor=clerk, change=change, note="Checked against the judgment.")
    return case


def _kakashi_sentenced(court: Court, kakashi: Booking, clerk: User, tsunade: User) -> None:
    _sentence(court, kakashi, clerk, tsunade, days_ago=1, term=Term(years=2))


def _gato_due_today(court: Court, gato: Booking, clerk: User, tsunade: User, hiroki: User) -> None:
    case = _sentence(court, gato, clerk, tsunade, days_ago=5, term=Term(days=8),
                     time_served_days=0)  # fmt: skip
    sentence = case.sentences.filter(status="active").first()
    if sentence is not None and sentence.time_served_days == 0:
        # The judgment credits the night in the cells before sentence: one day earlier.
        sentence_correct(
            actor=clerk, sentence=sentence,
            data=SentenceData(
                sentence.charge, Term(days=8), imposed_on=sentence.imposed_on,
                time_served_days=1,
            ),
            reason="The judgment credits one day in custody before sentence.",
        )  # fmt: skip
    if not Release.objects.filter(booking=gato).exists():
        release = release_start(
            actor=clerk, booking=gato, kind=ReleaseKind.TIME_SERVED,
            authority=f"Sentence served ({DOCKETS['Gatō']})",
        )  # fmt: skip
        release_property_return(
            actor=hiroki, release=release, signed=True, note="Cane and purse handed back."
        )


def _kabuto_held_for_otogakure(court: Court, kabuto: Booking, clerk: User, tsunade: User) -> None:
    _sentence(court, kabuto, clerk, tsunade, days_ago=20, term=Term(days=30))
    if not kabuto.holds.exists():
        hold_place(
            actor=clerk, booking=kabuto, kind=HoldKind.DETAINER,
            issued_by="Otogakure (Village Hidden in the Sound)", reference="OTO-DET-0093",
            reason="Wanted for espionage against the Sound; to be handed over, not released.",
        )  # fmt: skip
