"""The case files of SCENARIOS.md replayed through the public JSON API.

Shared here: a Konoha Prison in miniature, set up from an empty database through
the API as a new installation is, the staff of the stories, and the small
helpers every replay uses to speak to the API as one of them.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django.test import Client

from cellblock.accounts.models import User
from cellblock.conftest import PASSWORD
from cellblock.core.roles import Role
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
    "homura": (Role.AUDITOR,),
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


# The installation's first superuser, created with ``cellblock createsuperuser``.
ROOT = "root"
ROOT_PASSWORD = "installation-root-pass-9"


def build_mini_konoha() -> MiniKonoha:
    """Konoha Prison in miniature, set up from an empty database through the public API.

    As a new installation is: ``cellblock createsuperuser`` makes the installation
    administrator, who opens the agency and the facility with its first
    administrator; the Konoha records office then configures the main corridor,
    the end cell and the dark lower level, and signs up the staff of the stories.
    """
    os.environ["DJANGO_SUPERUSER_PASSWORD"] = ROOT_PASSWORD
    call_command(
        "createsuperuser", "--noinput", username=ROOT, email="root@konoha.example",
        full_name="Installation administrator", stdout=io.StringIO(),
    )  # fmt: skip
    installer = as_staff(User.objects.get(username=ROOT))
    agency = ok(post(installer, "/api/facilities/agencies",
                     {"code": "KONOHA", "name": "Konohagakure"}), 201)  # fmt: skip
    facility = ok(
        post(installer, "/api/facilities/", {
            "agency": agency["id"], "code": "KON", "name": "Konoha Prison",
            "timezone": "Asia/Tokyo", "policy": {"visit_length_minutes": 20},
            "administrator": {"username": "konoha_admin", "full_name": "Konoha Records Office",
                              "password": PASSWORD},
        }),
        201,
    )  # fmt: skip
    office = as_staff(User.objects.get(username="konoha_admin"))
    here = f"/api/facilities/{facility['id']}"

    def create(path: str, payload: dict[str, Any]) -> str:
        return str(ok(post(office, path, payload), 201)["id"])

    main = create(f"{here}/zones", {"code": "MAIN", "name": "Main cell block"})
    # Custody staff walk the main block; anyone else (a medic) goes into a cell on a grant.
    ok(put(office, f"/api/custody/zones/{main}/access",
           {"roles": [str(role) for role in MAIN_BLOCK_ROLES]}))  # fmt: skip
    lower = create(f"{here}/zones", {"code": "LOWER", "name": "Mountain Prison lower level",
                                     "restricted": True})  # fmt: skip
    corridor = create(f"/api/facilities/zones/{main}/units", {
        "code": "MC", "name": "Main corridor", "security_rating": "maximum",
    })  # fmt: skip
    end = create(f"/api/facilities/zones/{main}/units", {
        "code": "HS", "name": "End of the corridor", "security_rating": "special",
    })  # fmt: skip
    isolation = create(f"/api/facilities/zones/{lower}/units", {
        "code": "ISO", "name": "Isolation", "security_rating": "special",
        "restrictive_housing": True,
    })  # fmt: skip
    cell_ids = {
        "MC-01": create(f"/api/facilities/units/{corridor}/cells", {
            "code": "MC-01", "beds": 2, "features": ["chakra-suppression", "lighting"],
        }),
        "HS-01": create(f"/api/facilities/units/{end}/cells", {
            "code": "HS-01", "beds": 1,
            "features": ["chakra-suppression", "lighting", "observation"],
        }),
        # Behind an iron door, deep underground: there is no light in it.
        "ISO-1": create(f"/api/facilities/units/{isolation}/cells",
                        {"code": "ISO-1", "beds": 1, "features": ["iron-door"]}),
    }  # fmt: skip
    end_post = create(f"{here}/posts", {
        "code": "END", "name": "End-of-corridor door post", "required_officers": 2,
        "cell": cell_ids["HS-01"],
    })  # fmt: skip
    for username, roles in KONOHA_STAFF.items():
        ok(post(office, "/api/accounts/staff", {
            "facility": facility["id"], "username": username,
            "full_name": username.replace("_", " ").title(), "password": PASSWORD,
            "roles": [str(role) for role in roles],
        }), 201)  # fmt: skip
    # The story's records, looked up by the ids the API gave.
    return MiniKonoha(
        facility=Facility.objects.get(public_id=facility["id"]),
        main=Zone.objects.get(public_id=main),
        lower=Zone.objects.get(public_id=lower),
        cells={code: Cell.objects.get(public_id=pk) for code, pk in cell_ids.items()},
        end_post=GuardPost.objects.get(public_id=end_post),
        staff={user.username: user for user in User.objects.filter(username__in=KONOHA_STAFF)},
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


def audit_events(konoha: MiniKonoha, **filters: str) -> list[dict[str, Any]]:
    """Homura, the council's auditor, reads the audit trail (newest first)."""
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return ok(as_staff(konoha.staff["homura"]).get(f"/api/audit/events?limit=1000&{query}"))  # type: ignore[no-any-return]


def audit_chain_verifies(konoha: MiniKonoha) -> dict[str, Any]:
    """The chain is whole, as the auditor's API and ``cellblock audit verify`` both say."""
    verdict = ok(post(as_staff(konoha.staff["homura"]), "/api/audit/verify"))
    assert verdict["ok"], verdict
    printed = io.StringIO()
    call_command("audit", "verify", stdout=printed)
    assert printed.getvalue().startswith(f"audit chain OK: {verdict['checked']} events"), (
        printed.getvalue()
    )
    return verdict  # type: ignore[no-any-return]
