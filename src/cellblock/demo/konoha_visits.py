"""Konoha's visits and inmate requests as the demo opens (case file 1, steps 2, 5 and 7).

Kakashi is under a no-contact order protecting Sakura, sixteen. He has asked
to speak with the Hokage (a request addressed to the commander), and Tsunade
has let Sakura visit him once, in his cell, at noon tomorrow for twenty
minutes, overriding the rules that would refuse it. Around them: the visit
rooms, Ino (sixteen) who visits only with her father, a visitor under a ban,
and a request left unanswered past its deadline, which the compliance sweep
escalates to the commander.

Everything goes through the services; each part is written only when missing.
"""

from __future__ import annotations

import datetime as dt

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.models import (
    ContactScope,
    ProtectedRole,
    ProtectiveOrder,
    ProtectiveSource,
)
from cellblock.classification.services import protective_order_create
from cellblock.core import clock
from cellblock.custody.schedule import at_local, local_date
from cellblock.demo.ages import born_aged
from cellblock.facilities.models import Facility
from cellblock.people.models import Person
from cellblock.requests.models import FiledVia, InmateRequest, RequestKind
from cellblock.requests.services import request_file
from cellblock.visits.models import (
    GuardianRole,
    Guardianship,
    Relationship,
    RoomKind,
    Visit,
    VisitingListEntry,
    VisitKind,
    Visitor,
    VisitorBan,
    VisitorStatus,
    VisitRoom,
)
from cellblock.visits.services.registry import (
    guardianship_record,
    visit_room_save,
    visiting_list_add,
    visiting_list_decide,
    visitor_ban,
    visitor_decide,
    visitor_identity_check,
    visitor_register,
)
from cellblock.visits.services.scheduling import visit_schedule

# Kakashi's court case (SCENARIOS.md case file 1).
KAKASHI_DOCKET = "KON-CR-2026-0042"

ROOMS = (
    ("VR", "Visiting room", RoomKind.CONTACT, 4),
    ("BTH", "Glass booths", RoomKind.NON_CONTACT, 3),
    ("CNS", "Counsel room", RoomKind.LEGAL, 1),
)


def visits_and_requests(facility: Facility) -> None:
    """Rooms, visitors, lists, Kakashi's order, request and visit; the others' requests."""
    staff = {
        user.username: user
        for user in User.objects.filter(
            username__in=("tsunade", "kurenai", "hiroki", "shizune", "izumo")
        )
    }
    held = {
        booking.person.given_name: booking
        for booking in Booking.objects.filter(
            facility=facility, status__in=OPEN_STATUSES
        ).select_related("person", "facility")
    }
    rooms = _rooms(facility, staff["tsunade"])
    desk = staff["kurenai"]
    sakura = _visitor(facility, desk, "Sakura", "Haruno", born_aged(16, 240), "female", "KV-0328")
    ino = _visitor(facility, desk, "Ino", "Yamanaka", born_aged(17, 60), "female", "KV-0923")
    inoichi = _visitor(
        facility, desk, "Inoichi", "Yamanaka", dt.date(1985, 5, 2), "male", "KV-0502"
    )
    if not Guardianship.objects.filter(minor=ino, guardian=inoichi).exists():
        guardianship_record(actor=desk, minor=ino, guardian=inoichi, role=GuardianRole.PARENT)
    orochimaru = _visitor(
        facility, desk, "Orochimaru", "", dt.date(1974, 10, 27), "male", "KV-1027", approve=False
    )
    if not VisitorBan.objects.filter(visitor=orochimaru, lifted_at__isnull=True).exists():
        visitor_ban(
            actor=staff["tsunade"], visitor=orochimaru,
            reason="Rogue ninja wanted by the village; tried to smuggle a cursed seal to Sasuke.",
        )  # fmt: skip
    if "Sasuke" in held:
        sasuke = held["Sasuke"]
        _listed(sasuke, ino, Relationship.FRIEND, desk)
        _listed(sasuke, inoichi, Relationship.OTHER, desk)
        _ino_and_her_father(sasuke, (ino, inoichi), rooms["VR"], desk)
    if "Kakashi" in held:
        kakashi = held["Kakashi"]
        _no_contact_with_sakura(kakashi, sakura.person, staff["tsunade"])
        _listed(kakashi, sakura, Relationship.COLLEAGUE, desk)
        _asks_for_the_hokage(kakashi, staff["hiroki"])
        _sakura_once(kakashi, sakura, staff["tsunade"])
    if "Mizuki" in held:
        _library_request(held["Mizuki"], staff["izumo"])


def _rooms(facility: Facility, commander: User) -> dict[str, VisitRoom]:
    rooms = {}
    for code, name, kind, capacity in ROOMS:
        rooms[code] = VisitRoom.objects.filter(
            facility=facility, code=code
        ).first() or visit_room_save(
            actor=commander, facility=facility, code=code, name=name, kind=kind,
            capacity=capacity, opens_at=dt.time(9), closes_at=dt.time(18),
        )  # fmt: skip
    return rooms


def _visitor(
    facility: Facility,
    desk: User,
    given_name: str,
    family_name: str,
    born: dt.date,
    sex: str,
    document: str,
    *,
    approve: bool = True,
) -> Visitor:
    """A visitor registered at the desk with their village registry card seen."""
    existing = Visitor.objects.filter(
        facility=facility, person__given_name=given_name, person__family_name=family_name
    ).first()
    if existing is not None:
        return existing
    person = Person.objects.filter(
        given_name=given_name, family_name=family_name, date_of_birth=born
    ).first()
    visitor = visitor_register(
        actor=desk, facility=facility, given_name=given_name, family_name=family_name,
        date_of_birth=born, sex=sex, id_kind="village_registry", id_number=document,
        person=person,
    )  # fmt: skip
    visitor = visitor_identity_check(
        actor=desk, visitor=visitor, id_kind="village_registry", id_number=document
    )
    if approve:
        visitor = visitor_decide(actor=desk, visitor=visitor, status=VisitorStatus.APPROVED)
    return visitor


def _listed(booking: Booking, visitor: Visitor, relationship: str, desk: User) -> None:
    if VisitingListEntry.objects.filter(booking=booking, visitor=visitor).exists():
        return
    entry = visiting_list_add(
        actor=desk, booking=booking, visitor=visitor, relationship=relationship
    )
    visiting_list_decide(actor=desk, entry=entry, approve=True)


def _no_contact_with_sakura(kakashi: Booking, sakura: Person, tsunade: User) -> None:
    """Case file 1, step 2: the verdict orders no contact with the protected party."""
    if ProtectiveOrder.objects.filter(person=kakashi.person, protected_person=sakura).exists():
        return
    protective_order_create(
        actor=tsunade, facility=kakashi.facility, person=kakashi.person,
        protected_person=sakura, protected_role=ProtectedRole.PROTECTED_PARTY,
        source=ProtectiveSource.COURT_ORDER, scope=ContactScope.ALL_CONTACT,
        issued_by="Tsunade, Fifth Hokage, presiding", reference=KAKASHI_DOCKET,
        reason="Verdict: no contact with the protected party.",
    )  # fmt: skip


def _asks_for_the_hokage(kakashi: Booking, hiroki: User) -> None:
    """Case file 1, step 5: an inmate request routed to the commander."""
    if InmateRequest.objects.filter(booking=kakashi).exists():
        return
    request_file(
        actor=hiroki, booking=kakashi, kind=RequestKind.REQUEST, category="speak_to_staff",
        subject="To speak with the Hokage",
        text="I ask to speak with Lady Tsunade about the terms of my sentence.",
        addressee_role="commander",
    )  # fmt: skip


def _next_noon(facility: Facility) -> dt.datetime:
    zone = facility.timezone
    tomorrow = local_date(clock.now(), zone) + dt.timedelta(days=1)
    return at_local(tomorrow, dt.time(12), zone)


def _sakura_once(kakashi: Booking, sakura: Visitor, tsunade: User) -> None:
    """Case file 1, step 7: one visit in his cell, at noon tomorrow, by the commander's leave."""
    if Visit.objects.filter(booking=kakashi).exists():
        return
    visit_schedule(
        actor=tsunade, booking=kakashi, kind=VisitKind.IN_CELL, visitors=[sakura],
        starts_at=_next_noon(kakashi.facility), minutes=20,
        notes="Bento box expected; to be screened at the desk.",
        override_reason="One visit by Sakura, at the Hokage's leave, before his assignment.",
        override_conditions="He accepted an assignment; an officer stays at the cell door.",
    )  # fmt: skip


def _ino_and_her_father(
    sasuke: Booking, visitors: tuple[Visitor, Visitor], room: VisitRoom, desk: User
) -> None:
    """A contact visit in the visiting room: Ino is sixteen and comes with her father."""
    if Visit.objects.filter(booking=sasuke).exists():
        return
    zone = sasuke.facility.timezone
    day = local_date(clock.now(), zone) + dt.timedelta(days=2)
    visit_schedule(
        actor=desk, booking=sasuke, kind=VisitKind.CONTACT, visitors=list(visitors),
        starts_at=at_local(day, dt.time(15), zone), room=room,
    )  # fmt: skip


def _library_request(mizuki: Booking, izumo: User) -> None:
    """A paper grievance handed in 17 days ago that the supervisors never answered."""
    if InmateRequest.objects.filter(booking=mizuki).exists():
        return
    request_file(
        actor=izumo, booking=mizuki, kind=RequestKind.GRIEVANCE, category="property",
        subject="Scroll confiscated without a receipt",
        text="My study scroll was taken in the cell search and I got no receipt.",
        filed_via=FiledVia.PAPER, handed_in_at=clock.now() - dt.timedelta(days=17),
    )  # fmt: skip
