"""The case files of SCENARIOS.md replayed through the public JSON API.

Shared here: a Konoha Prison in miniature (built through the facility services,
as an administrator would configure it) and the staff of the stories, and the
small helpers every replay uses to speak to the API as one of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.test import Client

from cellblock.accounts.models import User
from cellblock.conftest import make_staff
from cellblock.core.roles import Role
from cellblock.custody.services.access import zone_access_set
from cellblock.facilities import services as facility_services
from cellblock.facilities.models import Bed, Cell, Facility, GuardPost, Zone
from cellblock.medical.screening import CLEAR_ANSWERS

# Who walks the main cell block without a grant.
MAIN_BLOCK_ROLES = (Role.COMMANDER, Role.SUPERVISOR, Role.OFFICER)

# The staff of the case files, with the roles SCENARIOS.md gives them.
KONOHA_STAFF: dict[str, tuple[str, ...]] = {
    "tsunade": (Role.COMMANDER,),
    "shizune": (Role.SUPERVISOR, Role.MEDICAL),
    "sakura": (Role.MEDICAL,),
    "hiroki": (Role.OFFICER,),
    "izumo": (Role.OFFICER,),
    "kotetsu": (Role.OFFICER,),
    "anbu_captain": (Role.OFFICER,),
    "iruka": (Role.BOOKING,),
    "ibiki": (Role.CLASSIFICATION,),
    "shikaku": (Role.COURT,),
    "kurenai": (Role.VISITS,),
}


@dataclass
class MiniKonoha:
    facility: Facility
    main: Zone
    lower: Zone
    cells: dict[str, Cell]
    end_post: GuardPost
    staff: dict[str, User]

    def bed(self, cell: str) -> Bed:
        return self.cells[cell].beds.order_by("code").first()  # type: ignore[return-value]


def build_mini_konoha() -> MiniKonoha:
    """Konoha Prison in miniature: the main corridor, the end cell and the dark lower level."""
    agency = facility_services.agency_create(actor=None, code="KONOHA", name="Konohagakure")
    facility = facility_services.facility_create(
        actor=None, agency=agency, code="KON", name="Konoha Prison", timezone="Asia/Tokyo",
        policy={"visit_length_minutes": 20},
    )  # fmt: skip
    main = facility_services.zone_create(
        actor=None, facility=facility, code="MAIN", name="Main cell block"
    )
    # Custody staff walk the main block; anyone else (a medic) goes into a cell on a grant.
    zone_access_set(actor=None, zone=main, roles=MAIN_BLOCK_ROLES)
    lower = facility_services.zone_create(
        actor=None, facility=facility, code="LOWER", name="Mountain Prison lower level",
        restricted=True,
    )  # fmt: skip
    corridor = facility_services.unit_create(
        actor=None, zone=main, code="MC", name="Main corridor", security_rating="maximum"
    )
    end = facility_services.unit_create(
        actor=None, zone=main, code="HS", name="End of the corridor", security_rating="special"
    )
    isolation = facility_services.unit_create(
        actor=None, zone=lower, code="ISO", name="Isolation", security_rating="special",
        restrictive_housing=True,
    )  # fmt: skip
    cells = {
        "MC-01": facility_services.cell_create(
            actor=None, unit=corridor, code="MC-01", beds=2,
            features=["chakra-suppression", "lighting"],
        ),
        "HS-01": facility_services.cell_create(
            actor=None, unit=end, code="HS-01", beds=1,
            features=["chakra-suppression", "lighting", "observation"],
        ),
        # Behind an iron door, deep underground: there is no light in it.
        "ISO-1": facility_services.cell_create(
            actor=None, unit=isolation, code="ISO-1", beds=1, features=["iron-door"]
        ),
    }  # fmt: skip
    end_post = facility_services.post_create(
        actor=None, facility=facility, code="END", name="End-of-corridor door post",
        required_officers=2, cell=cells["HS-01"],
    )  # fmt: skip
    staff = {
        username: make_staff(username, facility, *roles) for username, roles in KONOHA_STAFF.items()
    }
    return MiniKonoha(
        facility=facility, main=main, lower=lower, cells=cells, end_post=end_post, staff=staff
    )


def as_staff(user: User) -> Client:
    """A client signed in as ``user``, as the pages and the API see them."""
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, path: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(path, payload or {}, content_type="application/json")


def put(client: Client, path: str, payload: dict[str, Any]) -> Any:
    return client.put(path, payload, content_type="application/json")


def ok(response: Any, status: int = 200) -> Any:
    """The JSON body of an answer that must have ``status``; the body tells why if not."""
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json()


def book(
    konoha: MiniKonoha,
    *,
    given_name: str,
    family_name: str,
    born: dt.date,
    charge: str,
    legal_status: str = "pretrial",
) -> str:
    """Iruka books a new person at the desk and they enter custody; the booking number."""
    desk = as_staff(konoha.staff["iruka"])
    booking = ok(
        post(
            desk,
            "/api/bookings/",
            {
                "facility": str(konoha.facility.public_id),
                "source": "arrest",
                "legal_status": legal_status,
                "committing_authority": "Konoha Military Police Force",
                "person": {
                    "given_name": given_name,
                    "family_name": family_name,
                    "date_of_birth": born.isoformat(),
                    "sex": "male",
                },
                "charges": [
                    {"statute": "KPC 187/664", "description": charge, "severity": "felony"}
                ],
            },
        ),
        201,
    )
    number: str = booking["booking_number"]
    ok(post(desk, f"/api/bookings/{number}/transition", {"to": "in_custody"}))
    screen(konoha, number)
    return number


def screen(konoha: MiniKonoha, number: str, answers: dict[str, Any] | None = None) -> Any:
    """Shizune, the medic on duty, screens the person at intake: fit for a bed unless told."""
    return ok(
        post(
            as_staff(konoha.staff["shizune"]),
            f"/api/medical/bookings/{number}/screenings",
            {"answers": answers or dict(CLEAR_ANSWERS)},
        ),
        201,
    )


def house_by_override(konoha: MiniKonoha, number: str, cell: str, why: str) -> None:
    """Tsunade houses the person against the rule book (no juvenile unit), with her reason."""
    moved = ok(
        post(
            as_staff(konoha.staff["tsunade"]),
            "/api/housing/moves",
            {
                "booking": number,
                "to_bed": str(konoha.bed(cell).public_id),
                "reason": "Placement at booking",
                "override_reason": why,
            },
        ),
        201,
    )
    assert moved["status"] == "moved"
