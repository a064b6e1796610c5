"""Classification pages: the queue, assessment and PREA forms, flags, orders, profile, dashboard."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.classification import prea
from cellblock.classification.instrument import NIC_CUSTODY_V1
from cellblock.classification.models import (
    Assessment,
    AssessmentStatus,
    Flag,
    PreaScreening,
    ProtectiveOrder,
    SeparationOrder,
    StaffConflict,
)
from cellblock.classification.services import (
    FLAG_DERIVED,
    NO_SECOND_PERSON,
    assessment_record,
    flag_set,
    prea_screening_record,
    protective_order_create,
    separation_order_create,
    staff_conflict_create,
)
from cellblock.classification.views import (
    ASSESSED,
    CHOOSE_PROTECTED,
    FLAG_LIFTED,
    FLAG_SET,
    OVERRIDE_APPROVED,
    OVERRIDE_ASKED,
    SCREENED,
)
from cellblock.conftest import ready_for_bed
from cellblock.core.roles import Role
from cellblock.housing.models import HousingReview
from cellblock.housing.services import bed_assign
from cellblock.people.models import Person
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
QUEUE = "/classification/"
# Every item answered with its first answer: 0 points, minimum.
LOW = {item["code"]: item["answers"][0]["code"] for item in NIC_CUSTODY_V1["items"]}
# 4 + 5 = 9 points: medium.
MEDIUM = {**LOW, "current_offence": "high", "prior_assaultive": "high"}
NO_RISK = dict.fromkeys([*prea.VICTIM_CRITERIA, *prea.ABUSER_CRITERIA], False)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


def book(site, given="Rock", family="Lee", born=dt.date(1990, 11, 27), facility=None):
    person = person_create(
        actor=None, facility=None, given_name=given, family_name=family, date_of_birth=born
    )
    return booking_open(
        actor=None, facility=facility or site.facility, person=person, source="arrest"
    )


@pytest.fixture
def lee(site, clock):
    return book(site)


def page(path, booking, *args):
    return reverse(f"classification:{path}", args=[booking.booking_number, *args])


def text(response) -> str:
    """The page's text without tags, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def form_data(answers, **extra):
    return {**{f"item_{code}": value for code, value in answers.items()}, **extra}


def screening_data(yes=(), **extra):
    codes = [*prea.VICTIM_CRITERIA, *prea.ABUSER_CRITERIA]
    return {**{f"c_{code}": "yes" if code in yes else "no" for code in codes}, **extra}


def separate(cleo, site, first, second, scope="cell", reason="rivals"):
    return separation_order_create(
        actor=cleo, facility=site.facility, person=first.person, other_person=second.person,
        scope=scope, reason=reason,
    )  # fmt: skip


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries.captured_queries)


# --- The queue ------------------------------------------------------------------------


def test_the_menu_leads_to_the_queue(lee, officer, client_for):
    html = client_for(officer).get("/").content.decode()
    assert f'href="{QUEUE}"' in html
    assert ">Classification</a>" in html


def test_an_officer_sees_who_is_due_but_has_no_action_buttons(site, lee, cleo, officer,
                                                              client_for):  # fmt: skip
    assessment_record(actor=cleo, booking=lee, answers=LOW, override_level="medium",
                      override_reason="gang tattoos")  # fmt: skip
    other = book(site, "Might", "Guy")
    response = client_for(officer).get(QUEUE)
    assert response.status_code == 200
    due = section(response.content.decode(), 'data-testid="queue-due"')
    assert "Rock Lee" in due
    assert "PREA screening (72 h)" in due
    assert other.booking_number in due
    assert "Initial classification" in due
    assert "Assess" not in due
    assert "Screen" not in due
    overrides = section(response.content.decode(), 'data-testid="queue-overrides"')
    assert "gang tattoos" in overrides
    assert "<form" not in overrides
    assert "A supervisor or commander approves or refuses these." in overrides


def test_classification_staff_get_the_assess_and_screen_links(lee, cleo, client_for):
    due = section(client_for(cleo).get(QUEUE).content.decode(), 'data-testid="queue-due"')
    assert f'href="{page("assess", lee)}"' in due
    assert f'href="{page("prea", lee)}"' in due


def test_overdue_rows_are_red_and_come_first(site, officer, client_for, clock):
    early = book(site, "Might", "Guy")
    clock.shift(50 * HOUR)
    late = book(site, "Tenten", "Ama")
    html = client_for(officer).get(QUEUE).content.decode()
    rows = re.findall(r'<tr( class="row-bad")? data-booking="([^"]+)" data-state="(\w+)"', html)
    assert rows[0] == (' class="row-bad"', early.booking_number, "overdue")
    assert (" ", late.booking_number, "due") not in rows
    assert ("", late.booking_number, "due") in rows
    assert '<span class="badge badge-bad" data-testid="overdue-count">1 overdue</span>' in html


def test_someone_without_booking_view_is_refused_the_queue(site, admin_user, client_for):
    assert client_for(admin_user).get(QUEUE).status_code == 403


def test_the_queue_lists_open_housing_alerts(site, cleo, officer, client_for, clock):
    first, second = book(site, "Zabuza", "Momochi"), book(site, "Haku", "Yuki")
    for booking, bed in zip((first, second), site.cells[0].beds.all(), strict=True):
        ready_for_bed(booking)
        bed_assign(actor=None, booking=booking, bed=bed)
    separate(cleo, site, first, second, reason="fought in the yard")
    alerts = section(client_for(officer).get(QUEUE).content.decode(), 'data-testid="queue-alerts"')
    assert "Zabuza Momochi" in alerts
    assert "Haku Yuki" in alerts
    assert "keep-separate order recorded" in alerts


def test_a_supervisor_approves_an_override_from_the_queue(lee, cleo, supervisor, client_for):
    client = client_for(cleo)
    response = client.post(
        page("assess", lee),
        form_data(LOW, override_level="maximum", override_reason="leads a gang inside"),
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(booking=lee)
    assert assessment.status == AssessmentStatus.OVERRIDE_PENDING

    boss = client_for(supervisor)
    queue = boss.get(QUEUE).content.decode()
    decide = reverse("classification:override_decide", args=[assessment.public_id])
    assert f'action="{decide}"' in queue
    response = boss.post(decide, {f"d-{assessment.public_id}-decision": "approve"}, follow=True)
    assert response.redirect_chain == [(QUEUE, 302)]
    assert OVERRIDE_APPROVED.format(person="Rock Lee", level="Maximum") in text(response)
    lee.refresh_from_db()
    assert lee.custody_level == "maximum"
    assessment.refresh_from_db()
    assert assessment.decided_by == supervisor
    assert 'data-testid="override"' not in response.content.decode()


def test_refusing_an_override_needs_a_note(lee, cleo, supervisor, client_for):
    assessment = assessment_record(actor=cleo, booking=lee, answers=LOW,
                                   override_level="medium", override_reason="tattoos")  # fmt: skip
    response = client_for(supervisor).post(
        reverse("classification:override_decide", args=[assessment.public_id]),
        {f"d-{assessment.public_id}-decision": "refuse", f"d-{assessment.public_id}-note": ""},
    )
    assert response.status_code == 400
    row = section(response.content.decode(), 'data-testid="queue-overrides"')
    assert "Note say why the override is refused." in text(response)
    assert 'aria-invalid="true"' in row
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.OVERRIDE_PENDING


def test_the_assessor_cannot_approve_their_own_override(lee, commander, client_for):
    assessment = assessment_record(actor=commander, booking=lee, answers=LOW,
                                   override_level="medium", override_reason="tattoos")  # fmt: skip
    response = client_for(commander).post(
        reverse("classification:override_decide", args=[assessment.public_id]),
        {f"d-{assessment.public_id}-decision": "approve"},
    )
    assert response.status_code == 409
    assert NO_SECOND_PERSON.format(user=commander.username) in text(response)


def test_an_officer_cannot_decide_and_an_outsider_finds_nothing(lee, cleo, officer, outsider,
                                                               client_for):  # fmt: skip
    assessment = assessment_record(actor=cleo, booking=lee, answers=LOW,
                                   override_level="medium", override_reason="tattoos")  # fmt: skip
    decide = reverse("classification:override_decide", args=[assessment.public_id])
    data = {f"d-{assessment.public_id}-decision": "approve"}
    assert client_for(officer).post(decide, data).status_code == 403
    assert client_for(outsider).post(decide, data).status_code == 404
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.OVERRIDE_PENDING


def _grow_queue(site, cleo, n, start=0):
    for i in range(start, start + n):
        booking = book(site, f"Genin{i}", "Leaf")
        assessment_record(actor=cleo, booking=booking, answers=LOW, override_level="medium",
                          override_reason=f"reason {i}")  # fmt: skip


def test_the_queue_query_count_does_not_grow(site, cleo, supervisor, client_for, clock,
                                             django_assert_num_queries):  # fmt: skip
    _grow_queue(site, cleo, 1)
    clock.shift(80 * HOUR)
    client = client_for(supervisor)
    client.get(QUEUE)  # the first request after sign-in does one-off writes
    one = _queries(client, QUEUE)
    _grow_queue(site, cleo, 8, start=1)
    with django_assert_num_queries(one):
        html = client.get(QUEUE).content.decode()
    assert html.count('data-testid="override"') == 9


# --- Assessment --------------------------------------------------------------------------


def test_classification_staff_score_someone(lee, cleo, client_for):
    client = client_for(cleo)
    form = client.get(page("assess", lee))
    assert form.status_code == 200
    html = form.content.decode()
    assert "History of institutional violence" in html
    assert "7 points" in html
    assert 'name="item_institutional_violence" value="none" autofocus' in html
    response = client.post(page("assess", lee), form_data(MEDIUM, notes="calm at intake"))
    assert response.status_code == 302
    assert response.url == reverse("booking:profile", args=[lee.booking_number]) + (
        "#section-classification"
    )
    assessment = Assessment.objects.get(booking=lee)
    assert (assessment.total, assessment.scored_level) == (9, "medium")
    assert assessment.notes == "calm at intake"
    profile = client.get(response.url)
    assert ASSESSED.format(level="Medium", total=9) in text(profile)


def test_asking_for_an_override_says_it_waits(lee, cleo, client_for):
    response = client_for(cleo).post(
        page("assess", lee),
        form_data(MEDIUM, override_level="maximum", override_reason="threats to staff"),
        follow=True,
    )
    message = ASSESSED.format(level="Medium", total=9) + " "
    message += OVERRIDE_ASKED.format(level="Maximum")
    assert message in text(response)


def test_the_form_shows_field_errors_and_keeps_what_was_typed(lee, cleo, client_for):
    partial = {k: v for k, v in MEDIUM.items() if k != "escape_history"}
    client = client_for(cleo)
    response = client.post(
        page("assess", lee), form_data(partial, override_level="maximum", notes="quiet")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-override_reason"' in html
    assert "An override up or down needs a reason." in html
    assert 'name="item_current_offence" value="high" checked' in html
    assert '<option value="maximum" selected>' in html
    assert ">\nquiet</textarea>" in html
    assert not Assessment.objects.exists()
    # With the override explained, the unanswered item is named next to its question.
    response = client.post(
        page("assess", lee),
        form_data(partial, override_level="maximum", override_reason="threats", notes="quiet"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    item = html[html.index('data-testid="item-escape_history"') :].split("</fieldset>")[0]
    assert 'data-testid="error-item_escape_history">Must be answered.</span>' in item
    assert 'href="#id_item_escape_history">Escape history: must be answered.' in html
    assert "threats</textarea>" in html


def test_an_override_to_the_scored_level_is_refused_with_its_message(lee, cleo, client_for):
    response = client_for(cleo).post(
        page("assess", lee), form_data(LOW, override_level="minimum", override_reason="x")
    )
    assert response.status_code == 400
    assert "Is the scored level (minimum): no override needed." in response.content.decode()


def test_the_live_total_follows_the_answers(lee, cleo, client_for):
    client = client_for(cleo)
    score = page("assess_score", lee)
    partial = client.post(score, form_data({"current_offence": "highest"}), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    html = partial.content.decode()
    assert '<span class="num" data-testid="score-total">6</span>' in html
    assert 'data-testid="score-level">Medium</span> <small class="muted">so far</small>' in html
    assert "7 of 8 items to answer." in html
    complete = client.post(score, form_data({**MEDIUM, "special_needs": "protective_custody"}))
    html = complete.content.decode()
    assert 'data-testid="score-total">9</span>' in html
    assert 'data-testid="score-level">Special management</span>' in html
    assert "All 8 items answered." in html
    assert "Special management need: Needs protective custody" in html


def test_officers_may_not_assess_and_outsiders_find_no_booking(lee, officer, outsider,
                                                              client_for):  # fmt: skip
    assert client_for(officer).get(page("assess", lee)).status_code == 403
    assert client_for(officer).post(page("assess", lee), form_data(LOW)).status_code == 403
    for name in ("assess", "prea", "flags", "orders"):
        assert client_for(outsider).get(page(name, lee)).status_code == 404, name
    assert client_for(outsider).post(page("assess", lee), form_data(LOW)).status_code == 404
    assert not Assessment.objects.exists()


# --- PREA screening ------------------------------------------------------------------------


def test_a_screening_shows_only_the_risks(lee, medic, officer, client_for):
    client = client_for(medic)
    form = client.get(page("prea", lee))
    assert form.status_code == 200
    assert "Previously experienced sexual victimisation" in form.content.decode()
    response = client.post(page("prea", lee), screening_data(yes={"prior_victimisation"}))
    screening = PreaScreening.objects.get(booking=lee)
    assert response.status_code == 302
    assert response.url == page("prea_result", lee, screening.public_id)
    result = client.get(response.url)
    html = result.content.decode()
    assert SCREENED in text(result)
    assert 'data-testid="victim-risk"><span class="badge badge-warn">High</span>' in html
    assert 'data-testid="abuser-risk"><span class="badge badge-ok">Not high</span>' in html
    assert "PREA: high victim risk" in html
    for label in [*prea.VICTIM_CRITERIA.values(), *prea.ABUSER_CRITERIA.values()]:
        assert label not in html
    # The profile shows the flag, never the answers.
    profile = client_for(officer).get(reverse("booking:profile", args=[lee.booking_number]))
    prea_card = profile.content.decode()
    prea_card = prea_card[prea_card.index('data-testid="class-prea"') :].split("</div>")[0]
    assert "PREA: high victim risk" in prea_card
    assert "victimisation" not in prea_card


def test_an_unanswered_criterion_is_named(lee, medic, client_for):
    data = screening_data()
    del data["c_age"]
    data["c_disability"] = "yes"
    response = client_for(medic).post(page("prea", lee), data)
    assert response.status_code == 400
    html = response.content.decode()
    age = html[html.index('id="id_c_age"') :].split("</fieldset>")[0]
    assert "Must be answered yes (true) or no (false)." in age
    assert 'name="c_disability" value="yes" checked' in html
    assert not PreaScreening.objects.exists()


def test_only_screening_staff_screen(lee, officer, client_for):
    assert client_for(officer).get(page("prea", lee)).status_code == 403


# --- Flags ------------------------------------------------------------------------------------


def test_classification_staff_set_and_lift_a_flag_from_the_profile(lee, cleo, client_for):
    client = client_for(cleo)
    profile_url = reverse("booking:profile", args=[lee.booking_number])
    html = client.get(profile_url).content.decode()
    manage = html[html.index('data-testid="manage-flags"') :]
    assert f'action="{page("flags", lee)}"' in manage
    assert '<datalist id="flag-detail-suicide_risk"><option value="at_risk">' in manage
    response = client.post(
        page("flags", lee),
        {"flag-kind": "suicide_risk", "flag-detail": "suicide_watch", "flag-reason": "statements"},
        follow=True,
    )
    flag = Flag.objects.get(booking=lee, kind="suicide_risk")
    assert response.redirect_chain == [(profile_url + "#section-classification", 302)]
    assert FLAG_SET.format(flag=flag) in text(response)
    lift = page("flag_lift", lee, flag.public_id)
    assert f'action="{lift}"' in response.content.decode()
    response = client.post(lift, {"reason": "seen by the psychologist"}, follow=True)
    assert FLAG_LIFTED.format(flag=flag) in text(response)
    flag.refresh_from_db()
    assert flag.lift_reason == "seen by the psychologist"


def test_a_flag_form_error_is_shown_with_what_was_typed(lee, cleo, client_for):
    response = client_for(cleo).post(
        page("flags", lee),
        {"flag-kind": "suicide_risk", "flag-detail": "", "flag-reason": "statements at intake"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-detail">Name the observation level.</span>' in html
    assert 'value="statements at intake"' in html
    assert '<option value="suicide_risk" selected>' in html
    assert 'list="flag-detail-suicide_risk"' in html


def test_lifting_needs_a_reason(lee, cleo, client_for):
    flag = flag_set(actor=cleo, booking=lee, kind="diet", detail="no sweets", reason="asked")
    response = client_for(cleo).post(page("flag_lift", lee, flag.public_id), {"reason": " "})
    assert response.status_code == 400
    assert (
        'data-testid="lift-error">Say why the flag is lifted.</span>' in response.content.decode()
    )


def test_a_juvenile_flag_shows_its_origin_and_cannot_be_lifted_by_hand(site, cleo, client_for,
                                                                      clock):  # fmt: skip
    kid = book(site, "Konohamaru", "Sarutobi", born=dt.date(2012, 1, 1))
    flag = Flag.objects.get(booking=kid, kind="juvenile")
    message = FLAG_DERIVED.format(
        flag="Juvenile", origin="date of birth", how="correct the date of birth if it is wrong"
    )
    client = client_for(cleo)
    html = client.get(reverse("booking:profile", args=[kid.booking_number])).content.decode()
    manage = html[html.index('data-testid="manage-flags"') :]
    assert 'data-testid="origin-juvenile">From the date of birth</span>' in manage
    assert f'data-testid="derived-juvenile">{message}</small>' in manage
    assert page("flag_lift", kid, flag.public_id) not in manage
    response = client.post(page("flag_lift", kid, flag.public_id), {"reason": "looks older"})
    assert response.status_code == 409
    assert message in response.content.decode()
    flag.refresh_from_db()
    assert flag.lifted_at is None


# --- Orders -------------------------------------------------------------------------------------


@pytest.fixture
def guy(site, lee):
    return book(site, "Might", "Guy", born=dt.date(1985, 1, 1))


def test_keep_apart_from_someone_found_by_search(site, other_site, lee, guy, cleo, client_for):
    elsewhere = book(site, "Might", "Duy", facility=other_site.facility)
    client = client_for(cleo)
    found = client.get(page("other_search", lee), {"other_q": "might"}, HTTP_HX_REQUEST="true")
    html = found.content.decode()
    assert f'name="sep-other_booking" value="{guy.booking_number}"' in html
    assert elsewhere.booking_number not in html
    assert lee.booking_number not in html
    response = client.post(
        page("separation_create", lee),
        {"sep-other_booking": guy.booking_number, "sep-scope": "unit",
         "sep-reason": "rivals since the academy"},
        follow=True,
    )  # fmt: skip
    assert response.redirect_chain == [(page("orders", lee), 302)]
    order = SeparationOrder.objects.get()
    assert {order.person_id, order.other_person_id} == {lee.person_id, guy.person_id}
    assert order.authorised_by == cleo
    table = section(response.content.decode(), 'data-testid="separations"')
    assert "Might Guy" in table
    assert 'data-status="active">In force</span>' in table


def test_a_keep_apart_order_names_someone_or_a_group(lee, cleo, client_for):
    response = client_for(cleo).post(
        page("separation_create", lee), {"sep-scope": "unit", "sep-reason": "rivals"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Other person name either another person or a group, not both." in html
    assert 'value="rivals"' in html


def test_a_protective_order_for_someone_new(lee, cleo, client_for):
    response = client_for(cleo).post(
        page("protective_create", lee),
        {"po-protected_given_name": "Sakura", "po-protected_family_name": "Haruno",
         "po-protected_date_of_birth": "2010-03-28", "po-protected_role": "victim",
         "po-source": "court_order", "po-scope": "all_contact", "po-issued_by": "Tsunade",
         "po-reference": "KC-2026-001"},
    )  # fmt: skip
    assert response.status_code == 302
    order = ProtectiveOrder.objects.get()
    assert order.protected_person.full_name == "Sakura Haruno"
    assert order.protected_person.date_of_birth == dt.date(2010, 3, 28)


def test_someone_on_record_must_be_chosen_or_confirmed_new(site, lee, cleo, client_for):
    sakura = person_create(actor=None, facility=None, given_name="Sakura", family_name="Haruno")
    client = client_for(cleo)
    data = {"po-protected_given_name": "sakura", "po-protected_family_name": "haruno",
            "po-protected_role": "witness", "po-source": "administrative",
            "po-scope": "visits", "po-issued_by": "the warden"}  # fmt: skip
    matches = client.post(page("protected_search", lee), data, HTTP_HX_REQUEST="true")
    assert f'value="{sakura.public_id}"' in matches.content.decode()
    response = client.post(page("protective_create", lee), data)
    assert response.status_code == 400
    assert CHOOSE_PROTECTED in response.content.decode()
    assert 'value="sakura"' in response.content.decode()
    assert not ProtectiveOrder.objects.exists()
    response = client.post(
        page("protective_create", lee), {**data, "po-protected_match": str(sakura.public_id)}
    )
    assert response.status_code == 302
    assert ProtectiveOrder.objects.get().protected_person == sakura
    assert Person.objects.filter(given_name="Sakura").count() == 1


def test_a_refused_protective_order_leaves_no_new_person(lee, cleo, client_for):
    response = client_for(cleo).post(
        page("protective_create", lee),
        {"po-protected_given_name": "Ino", "po-protected_family_name": "Yamanaka",
         "po-protected_role": "witness", "po-source": "court_order", "po-scope": "visits",
         "po-issued_by": "Tsunade"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "A court order needs its reference (docket or order number)." in (
        response.content.decode()
    )
    assert not Person.objects.filter(given_name="Ino").exists()


def test_a_staff_conflict_names_a_member_of_staff_here(lee, cleo, medic, outsider, client_for):
    client = client_for(cleo)
    orders = client.get(page("orders", lee)).content.decode()
    assert f'<option value="{medic.public_id}">Mo Medic</option>' in orders
    assert str(outsider.public_id) not in orders
    response = client.post(
        page("conflict_create", lee),
        {"sc-staff": str(outsider.public_id), "sc-kind": "alleged_victim", "sc-reason": "x"},
    )
    assert response.status_code == 400
    response = client.post(
        page("conflict_create", lee),
        {"sc-staff": str(medic.public_id), "sc-kind": "alleged_victim",
         "sc-reason": "attacked her in the infirmary"},
    )  # fmt: skip
    assert response.status_code == 302
    assert StaffConflict.objects.get().staff == medic


def test_ending_an_order_needs_a_reason(site, lee, guy, cleo, client_for):
    order = separate(cleo, site, lee, guy)
    end = page("separation_end", lee, order.public_id)
    client = client_for(cleo)
    response = client.post(end, {"reason": ""})
    assert response.status_code == 400
    assert 'data-testid="end-error">Say why it ends.</span>' in response.content.decode()
    response = client.post(end, {"reason": "reconciled"}, follow=True)
    order.refresh_from_db()
    assert order.end_reason == "reconciled"
    table = section(response.content.decode(), 'data-testid="separations"')
    assert 'data-status="ended">Ended</span>' in table


def test_an_officer_reads_orders_without_forms_or_end_buttons(site, lee, guy, cleo, officer,
                                                             client_for):  # fmt: skip
    separate(cleo, site, lee, guy, reason="rivals")
    response = client_for(officer).get(page("orders", lee))
    assert response.status_code == 200
    html = response.content.decode()
    assert "rivals" in html
    assert '<form method="post"' not in html.split('<main id="main"')[1]
    assert (
        client_for(officer).post(page("separation_create", lee), {"sep-reason": "x"}).status_code
        == 403
    )


def test_the_orders_page_query_count_does_not_grow(site, lee, cleo, client_for,
                                                   django_assert_num_queries):  # fmt: skip
    client = client_for(cleo)

    def grow(n, start):
        for i in range(start, start + n):
            other = book(site, f"Rival{i}", "Sand")
            separate(cleo, site, lee, other, scope="unit", reason=f"r{i}")
            outside = person_create(actor=None, facility=None, given_name=f"Victim{i}",
                                    family_name="Leaf")  # fmt: skip
            protective_order_create(
                actor=cleo, facility=site.facility, person=lee.person, protected_person=outside,
                protected_role="victim", source="administrative", scope="visits",
                issued_by="warden",
            )  # fmt: skip

    grow(1, 0)
    client.get(page("orders", lee))
    one = _queries(client, page("orders", lee))
    grow(6, 1)
    with django_assert_num_queries(one):
        html = client.get(page("orders", lee)).content.decode()
    assert "Rival6 Sand" in html


# --- The profile section --------------------------------------------------------------------


def test_the_profile_shows_scored_level_override_and_approver(lee, cleo, supervisor, officer,
                                                             client_for):  # fmt: skip
    from cellblock.classification.services import assessment_override_decide

    assessment = assessment_record(actor=cleo, booking=lee, answers=MEDIUM,
                                   override_level="maximum", override_reason="threats")  # fmt: skip
    assessment_override_decide(actor=supervisor, assessment=assessment, approve=True, note="ok")
    html = client_for(officer).get(reverse("booking:profile", args=[lee.booking_number]))
    html = html.content.decode()
    keys = re.findall(r'data-section="(\w+)"', html)
    # Flags, then medicine's care alerts, then the classification they inform.
    assert keys.index("classification") == keys.index("flags") + 2
    assert keys[keys.index("flags") + 1] == "medical"
    level = section(html, 'data-section="classification"')
    assert 'data-testid="level-in-force">Maximum</span>' in level
    assert 'data-testid="scored-level"><span class="badge badge-level-medium">Medium</span> 9' in (
        level
    )
    assert "“threats”" in level
    assert 'data-testid="override-status">Override approved</span>' in level
    decision = level[level.index('data-testid="override-decision"') :].split("</small>")[0]
    assert "Approved by <strong>Sam Supervisor</strong> on 2026-03-14 12:00: ok" in decision
    assert "Scheduled reassessment: " in level
    # Officers read; they do not manage flags.
    assert 'data-testid="manage-flags"' not in level
    assert page("assess", lee) not in level


def test_the_profile_shows_orders_and_housing_alerts_at_a_glance(site, cleo, officer, client_for,
                                                                clock):  # fmt: skip
    first, second = book(site, "Zabuza", "Momochi"), book(site, "Haku", "Yuki")
    for booking, bed in zip((first, second), site.cells[0].beds.all(), strict=True):
        ready_for_bed(booking)
        bed_assign(actor=None, booking=booking, bed=bed)
    separate(cleo, site, first, second, reason="fought")
    staff_conflict_create(actor=cleo, facility=site.facility, person=first.person, staff=cleo,
                          kind="alleged_victim", reason="attacked during transport")  # fmt: skip
    html = client_for(officer).get(reverse("booking:profile", args=[first.booking_number]))
    glance = section(html.content.decode(), 'data-section="classification"')
    orders = glance[glance.index('data-testid="orders-glance"') :].split("</ul>")[0]
    assert '<span class="badge badge-restricted">In force</span> Keep separate from' in orders
    assert reverse("booking:profile", args=[second.booking_number]) in orders
    assert "Staff conflict: <strong>Cleo Classification</strong>" in orders
    alerts = glance[glance.index('data-testid="profile-alerts"') :].split("</ul>")[0]
    assert "keep-separate order recorded" in alerts
    assert HousingReview.objects.filter(booking=first, resolved_at__isnull=True).exists()


def test_the_profile_query_count_does_not_grow_with_classification_records(
    site, lee, cleo, commander, medic, staff_factory, client_for, django_assert_num_queries
):
    client = client_for(commander)
    profile_url = reverse("booking:profile", args=[lee.booking_number])

    def grow(n, start):
        for i in range(start, start + n):
            other = book(site, f"Rival{i}", "Sand")
            separate(cleo, site, lee, other, scope="unit", reason=f"r{i}")
            staff_conflict_create(actor=cleo, facility=site.facility, person=lee.person,
                                  staff=staff_factory(f"guard{i}", Role.OFFICER), kind="other",
                                  reason=f"c{i}")  # fmt: skip
            flag_set(actor=cleo, booking=lee, kind="diet", detail=f"diet {i}", reason="asked")
            assessment_record(actor=cleo, booking=lee, answers=LOW)
            prea_screening_record(actor=medic, booking=lee, answers=NO_RISK)

    grow(1, 0)
    client.get(profile_url)
    one = _queries(client, profile_url)
    grow(5, 1)
    with django_assert_num_queries(one):
        html = client.get(profile_url).content.decode()
    assert "Rival5 Sand" in html


# --- Dashboard ------------------------------------------------------------------------------


def test_the_dashboard_counts_overdue_classification_and_prea(site, officer, client_for, clock):
    book(site, "Might", "Guy")
    clock.shift(80 * HOUR)
    html = client_for(officer).get("/").content.decode()
    panel = section(html, 'data-testid="classification-overdue"')
    assert 'data-testid="overdue-classification">1</span>' in panel
    assert 'data-testid="overdue-prea">1</span>' in panel
    assert f'href="{QUEUE}"' in panel


def test_the_dashboard_lists_housing_alerts(site, cleo, officer, client_for, clock):
    first, second = book(site, "Zabuza", "Momochi"), book(site, "Haku", "Yuki")
    for booking, bed in zip((first, second), site.cells[0].beds.all(), strict=True):
        ready_for_bed(booking)
        bed_assign(actor=None, booking=booking, bed=bed)
    separate(cleo, site, first, second, reason="fought")
    panel = section(client_for(officer).get("/").content.decode(), 'data-testid="housing-alerts"')
    assert 'data-testid="alert-count">2</span>' in panel
    assert "Zabuza Momochi" in panel


def test_the_dashboard_query_count_does_not_grow_with_alerts(
    site, cleo, officer, client_for, clock, django_assert_num_queries
):
    def pair_up(cell, names):
        pair = [book(site, given, "Mist") for given in names]
        for booking, bed in zip(pair, cell.beds.all(), strict=True):
            ready_for_bed(booking)
            bed_assign(actor=None, booking=booking, bed=bed)
        separate(cleo, site, *pair)

    client = client_for(officer)
    pair_up(site.cells[0], ["Zabuza", "Haku"])
    client.get("/")
    one = _queries(client, "/")
    pair_up(site.cells[1], ["Kisame", "Itachi"])
    with django_assert_num_queries(one):
        html = client.get("/").content.decode()
    assert 'data-testid="alert-count">4</span>' in html


def test_the_dashboard_panels_are_for_readers_of_bookings(site, admin_user, client_for, clock):
    html = client_for(admin_user).get("/").content.decode()
    assert 'data-testid="classification-overdue"' not in html
    assert 'data-testid="housing-alerts"' not in html


def test_bookings_stay_unchanged_by_reading_pages(lee, cleo, client_for):
    client = client_for(cleo)
    for name in ("assess", "prea", "flags", "orders"):
        assert client.get(page(name, lee)).status_code == 200, name
    assert Booking.objects.get(pk=lee.pk).custody_level == ""
