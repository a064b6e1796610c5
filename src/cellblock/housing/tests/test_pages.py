"""Bed board pages: the facility board, a unit's board, the live verdict and the move panel."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.booking.services import booking_open
from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set, separation_order_create
from cellblock.conftest import ready_for_bed, screen_clear
from cellblock.facilities.models import FeatureStatus
from cellblock.facilities.services import cell_create
from cellblock.housing import rules
from cellblock.housing.models import BedAssignment, HousingReview, MoveRequest, MoveRequestStatus
from cellblock.housing.services import bed_assign
from cellblock.housing.views import MOVED, OUT_OF_SERVICE_DONE, REQUESTED
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

BOARD = "/housing/"


def book(site, given, family="Test"):
    person = person_create(actor=None, facility=site.facility, given_name=given, family_name=family)
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def house(booking, bed):
    """Screen ``booking`` clear if need be (the step before a bed) and give it ``bed``."""
    return bed_assign(actor=None, booking=ready_for_bed(booking), bed=bed)


def bed(cell, code="B1"):
    return cell.beds.get(code=code)


def unit_url(site):
    return reverse("housing:unit", args=[site.unit.public_id])


def text(response) -> str:
    """The page's text without tags, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def rivals(site):
    """Two rivals under a keep-separate order at cell scope; one housed in A1-1.

    The other is screened and waits for a bed: only the rule book stands in his way.
    """
    kiba = book(site, "Kiba", "Inuzuka")
    shino = screen_clear(book(site, "Shino", "Aburame"))
    house(kiba, bed(site.cells[0]))
    separation_order_create(
        actor=None, facility=site.facility, person=kiba.person, other_person=shino.person,
        scope="cell", reason="fought in the yard",
    )  # fmt: skip
    return kiba, shino


# --- Seeing the board ------------------------------------------------------------------


def test_the_facility_board_shows_each_unit_as_a_tile_with_its_counts(site, officer, client_for):
    house(book(site, "Kiba"), bed(site.cells[0]))
    book(site, "Shino")  # waiting for a bed
    response = client_for(officer).get(BOARD)
    assert response.status_code == 200
    page = text(response)
    assert "Unit A1" in page
    assert "1 / 4 occupied" in page
    assert "3 vacant" in page
    assert "Waiting for a bed" in page
    assert "Shino Test" in page
    assert unit_url(site) in response.content.decode()


def test_the_menu_offers_the_bed_board_to_custody_staff(site, officer, client_for):
    response = client_for(officer).get("/")
    assert 'href="/housing/"' in response.content.decode()


def test_the_unit_board_shows_who_sleeps_where_with_flags_and_vacancies(
    site, officer, staff_factory, client_for
):
    cleo = staff_factory("cleo_classification", "classification")
    kiba = book(site, "Kiba", "Inuzuka")
    house(kiba, bed(site.cells[0]))
    flag_set(actor=cleo, booking=kiba, kind=FlagKind.SINGLE_CELL, reason="assaulted a cellmate")
    response = client_for(officer).get(unit_url(site))
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(rf'<tr[^>]*data-booking="{kiba.booking_number}".*?</tr>', html, re.S)
    assert row is not None
    assert "Kiba Inuzuka" in row.group(0)
    assert "Single cell" in row.group(0)
    assert html.count('data-state="vacant"') == 3


def test_an_alert_colours_the_bed_red_and_names_the_rule(site, officer, client_for):
    kiba, shino = book(site, "Kiba"), book(site, "Shino")
    house(kiba, bed(site.cells[0]))
    house(shino, bed(site.cells[0], "B2"))
    separation_order_create(
        actor=None, facility=site.facility, person=kiba.person, other_person=shino.person,
        scope="cell", reason="fought in the yard",
    )  # fmt: skip
    html = client_for(officer).get(unit_url(site)).content.decode()
    row = re.search(rf'<tr[^>]*data-booking="{kiba.booking_number}".*?</tr>', html, re.S)
    assert row is not None
    assert 'data-state="alert"' in row.group(0)
    assert "row-bad" in row.group(0)
    assert "keep-separate order" in row.group(0)
    assert 'data-testid="rehouse"' in html


def test_a_person_without_the_housing_view_is_refused(site, admin_user, client_for):
    client = client_for(admin_user)
    assert client.get(BOARD).status_code == 403
    assert client.get(unit_url(site)).status_code == 403


def test_a_unit_of_another_facility_is_not_found(site, outsider, client_for):
    assert client_for(outsider).get(unit_url(site)).status_code == 404


# --- The live verdict ------------------------------------------------------------------


def verdict_url(site, booking, to_bed):
    url = reverse("housing:verdict", args=[site.unit.public_id])
    return f"{url}?booking={booking.booking_number}&bed={to_bed.public_id}"


def test_the_verdict_shows_the_rule_a_bed_would_break(site, supervisor, rivals, client_for):
    _kiba, shino = rivals
    response = client_for(supervisor).get(verdict_url(site, shino, bed(site.cells[0], "B2")))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert 'data-lawful="no"' in html
    assert f'data-code="{rules.KEEP_SEPARATE}"' in html
    assert "are under a keep-separate order (cell) and both in Unit A1 / A1-1" in text(response)
    assert "Override the rule book" not in html
    assert "disabled" in html


def test_the_verdict_of_a_lawful_bed_is_green_with_its_price(site, supervisor, rivals, client_for):
    _kiba, shino = rivals
    response = client_for(supervisor).get(verdict_url(site, shino, bed(site.cells[1])))
    html = response.content.decode()
    assert 'data-lawful="yes"' in html
    assert "Lawful" in text(response)
    assert 'data-testid="verdict-cost">0<' in html
    assert "Recommended beds" in html


def test_the_verdict_prices_a_cellmate(site, supervisor, client_for):
    kiba, shino = book(site, "Kiba"), book(site, "Shino")
    house(kiba, bed(site.cells[0]))
    response = client_for(supervisor).get(verdict_url(site, shino, bed(site.cells[0], "B2")))
    page = text(response)
    assert "A1-1 would hold 2 people." in page
    assert "+10" in page


def test_the_commander_is_offered_the_override_when_the_rule_book_refuses(
    site, commander, rivals, client_for
):
    _kiba, shino = rivals
    response = client_for(commander).get(verdict_url(site, shino, bed(site.cells[0], "B2")))
    html = response.content.decode()
    assert "Override the rule book: why" in html
    assert "Override the rule book and move" in html


# --- Moves -----------------------------------------------------------------------------


def move(client, site, booking, to_bed, **extra):
    data = {
        "booking": booking.booking_number, "bed": str(to_bed.public_id),
        "unit": str(site.unit.public_id), **extra,
    }  # fmt: skip
    return client.post(reverse("housing:move"), data)


def current_bed(booking):
    return BedAssignment.objects.get(booking=booking, ended_at__isnull=True).bed


def test_a_supervisor_moves_someone_at_once(site, supervisor, client_for):
    kiba = book(site, "Kiba", "Inuzuka")
    house(kiba, bed(site.cells[0]))
    client = client_for(supervisor)
    response = move(
        client, site, kiba, bed(site.cells[1]), expect_from=str(bed(site.cells[0]).public_id)
    )
    assert response.status_code == 302
    assert current_bed(kiba) == bed(site.cells[1])
    page = text(client.get(response["Location"]))
    assert MOVED.format(person="Kiba Inuzuka", bed="Unit A1 / A1-2 / B1") in page


def test_an_officer_sees_the_board_but_the_move_waits_for_a_supervisor(
    site, officer, supervisor, client_for
):
    kiba = book(site, "Kiba", "Inuzuka")
    house(kiba, bed(site.cells[0]))
    officer_client = client_for(officer)
    response = move(officer_client, site, kiba, bed(site.cells[1]), reason="noise")
    assert response.status_code == 302
    assert current_bed(kiba) == bed(site.cells[0])
    request = MoveRequest.objects.get(booking=kiba)
    assert request.status == MoveRequestStatus.PENDING
    waiting = text(officer_client.get(response["Location"]))
    assert REQUESTED.format(person="Kiba Inuzuka", bed="Unit A1 / A1-2 / B1") in waiting
    supervisor_client = client_for(supervisor)
    page = supervisor_client.get(unit_url(site))
    assert 'data-testid="move-request"' in page.content.decode()
    decided = supervisor_client.post(
        reverse("housing:request_decide", args=[request.public_id]),
        {f"d-{request.public_id}-decision": "approve", "unit": str(site.unit.public_id)},
    )
    assert decided.status_code == 302
    assert current_bed(kiba) == bed(site.cells[1])


def test_an_officer_is_asked_for_a_reason_beside_the_field(site, officer, client_for):
    kiba = book(site, "Kiba")
    house(kiba, bed(site.cells[0]))
    response = move(client_for(officer), site, kiba, bed(site.cells[1]))
    assert response.status_code == 400
    assert 'data-testid="error-reason"' in response.content.decode()
    assert not MoveRequest.objects.exists()


def test_a_move_the_rule_book_forbids_is_refused_in_the_panel(site, supervisor, rivals, client_for):
    _kiba, shino = rivals
    response = move(client_for(supervisor), site, shino, bed(site.cells[0], "B2"))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="move-error"' in html
    assert "keep-separate order" in text(response)
    assert not BedAssignment.objects.filter(booking=shino).exists()


def test_an_override_from_a_supervisor_is_not_taken(site, supervisor, rivals, client_for):
    _kiba, shino = rivals
    response = move(
        client_for(supervisor), site, shino, bed(site.cells[0], "B2"), override_reason="trust me"
    )
    assert response.status_code == 409
    assert not BedAssignment.objects.filter(booking=shino).exists()


def test_the_commander_overrides_the_rule_book_with_a_reason(site, commander, rivals, client_for):
    _kiba, shino = rivals
    response = move(
        client_for(commander), site, shino, bed(site.cells[0], "B2"),
        override_reason="only secure cell left tonight", expect_from="none",
    )  # fmt: skip
    assert response.status_code == 302
    placed = BedAssignment.objects.get(booking=shino, ended_at__isnull=True)
    assert placed.override_reason == "only secure cell left tonight"
    assert placed.overridden_rules == [rules.KEEP_SEPARATE]


def test_a_bed_for_someone_not_screened_yet_is_refused_in_the_panel(site, supervisor, client_for):
    shino = book(site, "Shino", "Aburame")
    response = move(client_for(supervisor), site, shino, bed(site.cells[0]), expect_from="none")
    assert response.status_code == 409
    assert 'data-testid="move-error"' in response.content.decode()
    assert "cannot be housed before: Medical receiving screening" in text(response)
    assert not BedAssignment.objects.filter(booking=shino).exists()


def test_a_move_seen_from_an_old_bed_is_refused(site, supervisor, client_for):
    kiba = book(site, "Kiba")
    house(kiba, bed(site.cells[0]))
    response = move(client_for(supervisor), site, kiba, bed(site.cells[1]), expect_from="none")
    assert response.status_code == 409
    assert "moved meanwhile" in text(response)


# --- Cells -----------------------------------------------------------------------------


def test_a_cell_taken_out_of_service_lists_its_people_to_rehouse(site, commander, client_for):
    kiba = book(site, "Kiba", "Inuzuka")
    house(kiba, bed(site.cells[0]))
    client = client_for(commander)
    cell = site.cells[0]
    response = client.post(
        reverse("housing:cell_service", args=[cell.public_id]),
        {f"s-{cell.public_id}-reason": "bars damaged", "out_of_service": "1"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"].split("#")[0])
    html = page.content.decode()
    assert OUT_OF_SERVICE_DONE.format(cell="A1-1") in text(page)
    rehouse = html[html.index('data-testid="rehouse"') :]
    assert kiba.booking_number in rehouse[: rehouse.index("</section>")]
    assert "Recommended:" in rehouse
    assert "bars damaged" in html


def test_a_cell_needs_a_reason_to_go_out_of_service(site, commander, client_for):
    cell = site.cells[0]
    response = client_for(commander).post(
        reverse("housing:cell_service", args=[cell.public_id]), {"out_of_service": "1"}
    )
    assert response.status_code == 400
    assert 'data-testid="error-reason"' in response.content.decode()


def test_a_booking_clerk_cannot_take_a_cell_out_of_service(site, booking_clerk, client_for):
    cell = site.cells[0]
    response = client_for(booking_clerk).post(
        reverse("housing:cell_service", args=[cell.public_id]),
        {f"s-{cell.public_id}-reason": "bars", "out_of_service": "1"},
    )
    assert response.status_code == 403
    cell.refresh_from_db()
    assert not cell.out_of_service


def test_an_officer_on_shift_takes_a_damaged_cell_out_of_service(site, officer, client_for):
    cell = site.cells[0]
    client_for(officer).post(
        reverse("housing:cell_service", args=[cell.public_id]),
        {f"s-{cell.public_id}-reason": "bars", "out_of_service": "1"},
    )
    cell.refresh_from_db()
    assert (cell.out_of_service, cell.out_of_service_reason) == (True, "bars")


def test_dented_bars_raise_an_alert_for_the_person_who_needs_them(
    site, commander, staff_factory, client_for
):
    cleo = staff_factory("cleo_classification", "classification")
    vault = cell_create(
        actor=None, unit=site.unit, code="S-1", beds=1, features=["chakra-suppression"]
    )
    kakashi = book(site, "Kakashi", "Hatake")
    flag_set(
        actor=cleo, booking=kakashi, kind=FlagKind.CONTAINMENT, detail="chakra-suppression",
        reason="elite shinobi",
    )  # fmt: skip
    house(kakashi, bed(vault))
    client = client_for(commander)
    response = client.post(
        reverse("housing:cell_feature", args=[vault.public_id]),
        {
            f"f-{vault.public_id}-tag": "chakra-suppression",
            f"f-{vault.public_id}-status": FeatureStatus.COMPROMISED,
            f"f-{vault.public_id}-note": "bar dented",
        },
    )
    assert response.status_code == 302
    assert HousingReview.objects.filter(
        booking=kakashi, code=rules.CONTAINMENT_MISSING, resolved_at__isnull=True
    ).exists()
    html = client.get(unit_url(site)).content.decode()
    row = re.search(rf'<tr[^>]*data-booking="{kakashi.booking_number}".*?</tr>', html, re.S)
    assert row is not None
    assert 'data-state="alert"' in row.group(0)
    assert "chakra-suppression: compromised" in html


# --- Cost ------------------------------------------------------------------------------


def _house_more(site, people: int, prefix: str) -> None:
    cells = [
        cell_create(actor=None, unit=site.unit, code=f"{prefix}-{n}", beds=2)
        for n in range(people // 2)
    ]
    for cell in cells:
        for to_bed in cell.beds.all():
            house(book(site, f"{prefix}{to_bed.pk}"), to_bed)


@pytest.mark.parametrize("page", ["board", "unit"])
def test_the_boards_cost_the_same_queries_with_2_or_20_housed(site, supervisor, client_for, page):
    client = client_for(supervisor)
    path = BOARD if page == "board" else unit_url(site)
    _house_more(site, 2, "F")
    book(site, "Waiting")
    few = queries(client, path)
    _house_more(site, 18, "M")
    book(site, "Waiting too")
    assert BedAssignment.objects.filter(ended_at__isnull=True).count() == 20
    assert queries(client, path) == few


def test_the_verdict_costs_the_same_queries_however_full_the_unit(site, supervisor, client_for):
    client = client_for(supervisor)
    newcomer = book(site, "Newcomer")
    _house_more(site, 2, "F")
    path = verdict_url(site, newcomer, bed(site.cells[1]))
    few = queries(client, path)
    _house_more(site, 18, "M")
    assert queries(client, path) == few


# --- Panel fragments -------------------------------------------------------------------


def test_move_on_a_row_opens_the_panel_with_the_person_chosen(site, supervisor, client_for):
    kiba = book(site, "Kiba", "Inuzuka")
    house(kiba, bed(site.cells[0]))
    url = reverse("housing:move_panel", args=[site.unit.public_id])
    response = client_for(supervisor).get(f"{url}?booking={kiba.booking_number}")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="panel move-panel" id="move-panel"')
    assert f'<option value="{kiba.booking_number}" selected>' in html
    assert "Kiba Inuzuka sleeps in Unit A1 / A1-1 / B1." in text(response)
    # The bed is what is left to choose: it has the focus.
    assert re.search(r'<select id="move-bed"[^>]*autofocus', html)


def test_the_person_search_narrows_the_choices(site, supervisor, client_for):
    book(site, "Kiba", "Inuzuka")
    book(site, "Shino", "Aburame")
    url = reverse("housing:people", args=[site.unit.public_id])
    client = client_for(supervisor)
    html = client.get(f"{url}?q=inuz").content.decode()
    assert "Inuzuka, Kiba" in html
    assert "Aburame" not in html
    assert "No one held here matches" in client.get(f"{url}?q=nobody").content.decode()


def test_find_a_bed_opens_the_unit_of_the_best_bed_with_it_chosen(site, supervisor, client_for):
    shino = book(site, "Shino", "Aburame")
    response = client_for(supervisor).get(reverse("housing:place", args=[shino.booking_number]))
    assert response.status_code == 302
    assert response["Location"].startswith(unit_url(site) + f"?booking={shino.booking_number}")
    assert "&bed=" in response["Location"]


def test_refusing_a_request_without_a_note_is_answered_beside_it(
    site, officer, supervisor, client_for
):
    kiba = book(site, "Kiba")
    house(kiba, bed(site.cells[0]))
    move(client_for(officer), site, kiba, bed(site.cells[1]), reason="noise")
    request = MoveRequest.objects.get(booking=kiba)
    response = client_for(supervisor).post(
        reverse("housing:request_decide", args=[request.public_id]),
        {f"d-{request.public_id}-decision": "refuse"},
    )
    assert response.status_code == 400
    assert 'data-testid="error-note"' in response.content.decode()
    request.refresh_from_db()
    assert request.status == MoveRequestStatus.PENDING


def test_an_officer_cannot_decide_a_request(site, officer, client_for):
    kiba = book(site, "Kiba")
    house(kiba, bed(site.cells[0]))
    move(client_for(officer), site, kiba, bed(site.cells[1]), reason="noise")
    request = MoveRequest.objects.get(booking=kiba)
    response = client_for(officer).post(
        reverse("housing:request_decide", args=[request.public_id]),
        {f"d-{request.public_id}-decision": "approve"},
    )
    assert response.status_code == 403


def test_the_profile_of_someone_not_housed_offers_to_find_a_bed(site, supervisor, client_for):
    shino = book(site, "Shino", "Aburame")
    client = client_for(supervisor)
    profile = client.get(reverse("booking:profile", args=[shino.booking_number]))
    link = reverse("housing:place", args=[shino.booking_number])
    assert f'href="{link}"' in profile.content.decode()

    house(shino, bed(site.cells[0]))
    profile = client.get(reverse("booking:profile", args=[shino.booking_number]))
    assert link not in profile.content.decode()
