"""Case file 1, "The verdict": Kakashi's trial, remand and release to an assignment, by API.

Step 1: Shikaku, the court clerk, files the case against Kakashi, with Sakura (a
minor) as the protected party. Tsunade presides and gives a guilty verdict with a
sentence. The verdict remands him: a booking is opened from the court record
(legal status sentenced), Hiroki and Izumo handcuff him (a restraint record) and
Hiroki escorts him to the cells (the movement's return).
Step 2: the verdict also creates a no-contact order between Kakashi and Sakura.
Step 8: Tsunade releases him to an assignment beyond S-rank with no return
expected. The checklist comes first: completing it early is refused with every
open step named. Then the booking closes with that release type and the count
and the bed board change at once. Neither an officer nor a supervisor can
release him to an assignment; every step is in the audit chain with its actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.conftest import (  # noqa: F401  (fixtures used by these tests)
    _fast_password_hashing,
    flushable_audit_trail_after_transactional_tests,
)
from tests.cases import MiniKonoha, as_staff, build_mini_konoha, ok, post, screen

pytestmark = pytest.mark.django_db

# In Konoha (Asia/Tokyo): the case is filed the day before the trial at 09:00; the trial
# opens at 10:00 on 13 March and the verdict is given at 11:00; the release two days later.
FILED = dt.datetime(2026, 3, 12, 0, 0, tzinfo=dt.UTC)
TRIAL = dt.datetime(2026, 3, 13, 1, 0, tzinfo=dt.UTC)
VERDICT = dt.datetime(2026, 3, 13, 2, 0, tzinfo=dt.UTC)
IN_THE_CELLS = VERDICT + dt.timedelta(minutes=40)
RELEASE = dt.datetime(2026, 3, 15, 6, 0, tzinfo=dt.UTC)

DOCKET = "KON-CR-2026-0042"
PRESIDING = "Tsunade, Fifth Hokage"
MISSION = "Beyond S-rank"


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(FILED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def konoha(clock: Any) -> MiniKonoha:
    return build_mini_konoha()


@pytest.fixture
def court(konoha: MiniKonoha) -> dict[str, Any]:
    """The village's sentencing law (a third off for good conduct) and its court."""
    tsunade = as_staff(konoha.staff["tsunade"])
    facility = str(konoha.facility.public_id)
    konoha_law = ok(
        post(tsunade, "/api/court/jurisdictions",
             {"facility": facility, "code": "KONOHA", "name": "Land of Fire (Konoha)"}),
        201,
    )  # fmt: skip
    ok(
        post(tsunade, f"/api/court/jurisdictions/{konoha_law['id']}/credit-rules", {
            "facility": facility, "applies_from": "2000-01-01",
            "good_time_numerator": 1, "good_time_denominator": 3,
            "source": "Konoha village ordinance 12: remission for good conduct",
        }),
        201,
    )  # fmt: skip
    return ok(
        post(tsunade, "/api/court/courts", {
            "facility": facility, "code": "KVH", "name": "Konoha court",
            "jurisdiction": konoha_law["id"], "location": "Courtroom, village hall",
        }),
        201,
    )  # fmt: skip


@pytest.fixture
def case(konoha: MiniKonoha, court: dict[str, Any], clock: Any) -> dict[str, Any]:
    """Shikaku files the case the day before, and the trial is on the calendar."""
    clerk = as_staff(konoha.staff["shikaku"])
    filed = ok(
        post(clerk, "/api/court/cases", {
            "facility": str(konoha.facility.public_id), "court": court["id"],
            "docket_number": DOCKET,
            "person": {"given_name": "Kakashi", "family_name": "Hatake",
                       "date_of_birth": "1996-09-15", "sex": "male"},
            "presiding_authority": PRESIDING, "presiding_user": "tsunade",
            "charges": [{"statute": "KPC 3-12", "description": "Offence against a minor",
                         "severity": "felony"}],
            "parties": [{"person": {"given_name": "Sakura", "family_name": "Haruno",
                                    "date_of_birth": "2009-03-28", "sex": "female"},
                         "role": "protected_party"}],
        }),
        201,
    )  # fmt: skip
    trial = ok(
        post(clerk, f"/api/court/cases/{filed['id']}/hearings",
             {"kind": "trial", "scheduled_at": TRIAL.isoformat()}),
        201,
    )  # fmt: skip
    # He is not held: there is nobody to produce from the prison.
    assert trial["booking_number"] is None
    clock.move_to(VERDICT)
    return {**filed, "trial": trial}


def _verdict(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "verdicts": [{"count": 1, "verdict": "guilty"}],
        "sentences": [{"count": 1, "term": {"years": 2}}],
        "remand": {"escort": "hiroki"},
        "no_contact": True,
        "hearing": case["trial"]["id"],
    }


@pytest.fixture
def remanded(konoha: MiniKonoha, case: dict[str, Any]) -> dict[str, Any]:
    """Tsunade's verdict: guilty, two years, remanded, no contact with Sakura."""
    return ok(
        post(as_staff(konoha.staff["tsunade"]), f"/api/court/cases/{case['id']}/verdicts",
             _verdict(case)),
        201,
    )  # fmt: skip


# --- Step 1: the verdict remands him ------------------------------------------------------


def test_only_the_court_gives_the_verdict(konoha: MiniKonoha, case: dict[str, Any]) -> None:
    for name in ("hiroki", "shizune", "iruka"):
        refused = post(
            as_staff(konoha.staff[name]), f"/api/court/cases/{case['id']}/verdicts", _verdict(case)
        )
        assert refused.status_code == 403, name
        assert set(refused.json()) == {"message", "code", "extra"}


def test_the_guilty_verdict_opens_a_sentenced_booking_from_the_court_record(
    konoha: MiniKonoha, case: dict[str, Any], remanded: dict[str, Any]
) -> None:
    assert remanded["remanded"]
    assert remanded["case"]["status"] == "disposed"
    [count] = remanded["case"]["charges"]
    assert (count["verdict"], count["verdict_by"]) == ("guilty", "tsunade")
    number = remanded["booking_number"]
    assert count["booking_number"] == number

    booking = ok(as_staff(konoha.staff["hiroki"]).get(f"/api/bookings/{number}"))
    assert (booking["source"], booking["legal_status"]) == ("court_remand", "sentenced")
    assert booking["status"] == "in_custody"
    assert [c["description"] for c in booking["charges"]] == ["Offence against a minor"]

    # The court record stands for identity and charges; the medical screening is still due.
    checklist = {
        step["step"]: step["state"]
        for step in ok(as_staff(konoha.staff["iruka"]).get(f"/api/bookings/{number}/checklist"))
    }
    assert (checklist["identity"], checklist["charges"]) == ("done", "done")
    assert checklist["medical_screening"] != "done"

    # Two years from the day of the verdict, a third off for good conduct (docs/release-dates.md).
    [sentence] = remanded["sentences"]
    assert (sentence["starts_on"], sentence["term"]["text"]) == ("2026-03-13", "2 years")
    dated = ok(as_staff(konoha.staff["shikaku"]).get(f"/api/court/bookings/{number}/release-date"))
    # 13 March 2026 + 2 years = 13 March 2028: 731 days (29 February 2028); 243 days off.
    assert dated["release_on"] == "2027-07-14"
    assert dated["rule_versions"] == ["KONOHA v1"]


def test_two_officers_handcuff_him_and_hiroki_escorts_him_to_the_cells(
    konoha: MiniKonoha, remanded: dict[str, Any], clock: Any
) -> None:
    number = remanded["booking_number"]
    hiroki = as_staff(konoha.staff["hiroki"])
    cuffed = ok(
        post(hiroki, "/api/custody/restraints", {
            "booking": number, "kind": "handcuffs", "purpose": "transport",
            "reason": "Remanded at the verdict: taken from the courtroom to the cells.",
            "assisted_by": "izumo", "authorised_by": "tsunade",
        }),
        201,
    )  # fmt: skip
    assert (cuffed["applied_by"], cuffed["assisted_by"]) == ("hiroki", "izumo")

    # He is in the courtroom: out of the facility until Hiroki brings him down.
    live = ok(hiroki.get("/api/custody/count", {"facility": str(konoha.facility.public_id)}))
    assert (live["held"], live["out_of_facility"]) == (1, 1)
    clock.move_to(IN_THE_CELLS)
    # Signed in again after the walk down (sessions lock after 30 minutes idle).
    hiroki = as_staff(konoha.staff["hiroki"])
    back = ok(post(hiroki, f"/api/custody/movements/{remanded['movement']}/return"))
    assert (back["destination"], back["escort"]) == ("court", "hiroki")
    assert back["returned_at"] is not None
    live = ok(hiroki.get("/api/custody/count", {"facility": str(konoha.facility.public_id)}))
    assert live["out_of_facility"] == 0


# --- Step 2: the no-contact order ---------------------------------------------------------


def test_the_verdict_orders_no_contact_with_sakura(
    konoha: MiniKonoha, remanded: dict[str, Any]
) -> None:
    [order] = remanded["orders"]
    assert (order["protected_person"]["given_name"], order["protected_person"]["family_name"]) == (
        "Sakura", "Haruno",
    )  # fmt: skip
    assert (order["protected_role"], order["scope"], order["reference"]) == (
        "protected_party", "all_contact", DOCKET,
    )  # fmt: skip
    person = remanded["case"]["person"]["id"]
    orders = ok(as_staff(konoha.staff["ibiki"]).get(f"/api/classification/people/{person}/orders"))
    [held] = orders["protective"]
    assert (held["id"], held["source"], held["issued_by"]) == (
        order["id"], "court_order", PRESIDING,
    )  # fmt: skip


# --- Step 8: released to an assignment ----------------------------------------------------


@pytest.fixture
def housed(konoha: MiniKonoha, remanded: dict[str, Any], clock: Any) -> str:
    """In the cells, screened, and in his chakra-suppressed corridor cell."""
    number: str = remanded["booking_number"]
    clock.move_to(IN_THE_CELLS)
    ok(
        post(
            as_staff(konoha.staff["hiroki"]),
            f"/api/custody/movements/{remanded['movement']}/return",
        )
    )
    screen(konoha, number)
    ok(
        post(as_staff(konoha.staff["tsunade"]), "/api/housing/moves", {
            "booking": number, "to_bed": str(konoha.bed("MC-01").public_id),
            "reason": "Placement at booking",
        }),
        201,
    )  # fmt: skip
    clock.move_to(RELEASE)
    return number


def _to_the_mission(number: str) -> dict[str, Any]:
    return {
        "booking": number, "kind": "assignment", "assignment_rank": MISSION,
        "conditions": "He accepted the assignment; he reports to the Hokage alone.",
        "authority": "The Hokage's order",
    }  # fmt: skip


def test_only_the_commander_releases_him_to_an_assignment(konoha: MiniKonoha, housed: str) -> None:
    for name in ("hiroki", "shizune", "shikaku"):
        refused = post(as_staff(konoha.staff[name]), "/api/releases", _to_the_mission(housed))
        assert refused.status_code == 403, name


def test_tsunade_releases_him_to_an_assignment_once_the_checklist_is_done(
    konoha: MiniKonoha, housed: str
) -> None:
    tsunade = as_staff(konoha.staff["tsunade"])
    hiroki = as_staff(konoha.staff["hiroki"])
    facility = {"facility": str(konoha.facility.public_id)}
    release = ok(post(tsunade, "/api/releases", _to_the_mission(housed)), 201)
    assert (release["kind"], release["assignment_rank"], release["authorised_by"]) == (
        "assignment", MISSION, "tsunade",
    )  # fmt: skip
    assert release["expected_return_at"] is None
    assert not release["temporary"]

    # Not yet: every step still open is named.
    path = f"/api/releases/{release['id']}"
    refused = post(tsunade, f"{path}/complete")
    body = refused.json()
    assert (refused.status_code, body["code"]) == (409, "release_checklist_incomplete")
    for label in (
        "Property returned and signed for", "Money returned", "Medical discharge note",
        "Upcoming visits cancelled",
    ):  # fmt: skip
        assert label in body["message"]
    assert set(body["extra"]["steps"]) == {
        "property_returned", "money_returned", "medical_discharge", "visits_cancelled",
    }  # fmt: skip

    ok(post(hiroki, f"{path}/steps/property", {"signed": True}))
    ok(post(as_staff(konoha.staff["iruka"]), f"{path}/steps/money", {"amount": "0"}))
    ok(
        post(as_staff(konoha.staff["shizune"]), f"{path}/steps/medical-discharge",
             {"text": "Fit for duty; eye to be checked on return."}),
    )  # fmt: skip
    ok(post(hiroki, f"{path}/steps/visits"))
    held_before = ok(hiroki.get("/api/custody/count", facility))["held"]

    done = ok(post(tsunade, f"{path}/complete"))
    assert done["status"] == "completed"
    booking = ok(hiroki.get(f"/api/bookings/{housed}"))
    assert (booking["status"], booking["release_type"]) == ("released", "assignment")
    # The count and the corridor's beds change in the same moment.
    live = ok(hiroki.get("/api/custody/count", facility))
    assert live["held"] == held_before - 1
    [corridor] = [unit for unit in live["units"] if unit["unit"]["code"] == "MC"]
    assert corridor["housed"] == 0


def test_every_step_of_the_story_is_in_the_audit_chain_with_its_actor(
    konoha: MiniKonoha, housed: str
) -> None:
    tsunade = as_staff(konoha.staff["tsunade"])
    release = ok(post(tsunade, "/api/releases", _to_the_mission(housed)), 201)
    path = f"/api/releases/{release['id']}"
    ok(post(as_staff(konoha.staff["hiroki"]), f"{path}/steps/property", {"signed": True}))
    ok(post(as_staff(konoha.staff["iruka"]), f"{path}/steps/money", {"amount": "0"}))
    ok(
        post(as_staff(konoha.staff["shizune"]), f"{path}/steps/medical-discharge",
             {"text": "Fit for duty."}),
    )  # fmt: skip
    ok(post(as_staff(konoha.staff["hiroki"]), f"{path}/steps/visits"))
    ok(post(tsunade, f"{path}/complete"))

    verified = ok(post(tsunade, "/api/audit/verify"))
    assert verified["ok"], verified["problem"]
    actors = {
        action: actor
        for actor, action in AuditEvent.objects.order_by("seq").values_list(
            "actor_username", "action"
        )
    }
    assert actors["case.open"] == "shikaku"
    assert actors["booking.open"] == "tsunade"
    assert actors["protective_order.create"] == "tsunade"
    assert actors["release.complete"] == "tsunade"
    assert actors["booking.released"] == "tsunade"
    assert actors["housing.vacate"] == "tsunade"
