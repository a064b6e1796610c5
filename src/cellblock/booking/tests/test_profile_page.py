"""The inmate profile: header, built-in sections, the section registry, access."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from cellblock.booking import checklist, profile
from cellblock.booking.models import Booking
from cellblock.booking.profile import PENDING_STEP, ProfileSection, register, sections_for
from cellblock.booking.services import (
    BookingDetails,
    ChargeData,
    PropertyData,
    booking_identity_confirm,
    booking_open,
    charge_add,
    property_inventory_sign,
    property_item_add,
    property_item_return,
)
from cellblock.classification.services import flag_lift, flag_set
from cellblock.conftest import ready_for_bed
from cellblock.core import clock
from cellblock.core.roles import Perm
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create, person_photo_add

pytestmark = pytest.mark.django_db


def book(site, given="Naruto", family="Uzumaki", born=dt.date(1990, 10, 10), **kwargs):
    person = person_create(
        actor=None, facility=site.facility, given_name=given, family_name=family,
        date_of_birth=born, sex="male", identifiers=kwargs.pop("identifiers", None),
    )  # fmt: skip
    return booking_open(
        actor=None, facility=site.facility, person=person, source="warrant", **kwargs
    )


def url(booking: Booking) -> str:
    return reverse("booking:profile", args=[booking.booking_number])


def png(colour=(20, 120, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 30), colour).save(out, format="PNG")
    return out.getvalue()


def section_html(html: str, key: str) -> str:
    start = html.index(f'data-section="{key}"')
    return html[start : html.index("</section>", start)]


def bed(site, cell_index=0, bed_index=0):
    return site.cells[cell_index].beds.order_by("code")[bed_index]


def test_the_url_name_is_the_profile(site):
    booking = book(site)
    assert url(booking) == f"/bookings/{booking.booking_number}/"


def test_an_officer_sees_the_header(site, officer, client_for):
    booking = book(site, born=dt.date(1990, 10, 10))
    Booking.objects.filter(pk=booking.pk).update(custody_level="medium")
    ready_for_bed(booking)
    bed_assign(actor=None, booking=booking, bed=bed(site))
    flag_set(actor=None, booking=booking, kind="escape_risk", reason="climbed the wall")
    response = client_for(officer).get(url(booking))
    assert response.status_code == 200
    html = response.content.decode()
    today = clock.now().date()
    age = booking.person.age_on(today)
    assert '<h1 id="person-name">Naruto Uzumaki</h1>' in html
    assert f'<span data-testid="age">{age} years</span> · born 1990-10-10' in html
    assert "Male" in html
    assert f'<code data-testid="booking-number">{booking.booking_number}</code>' in html
    assert '<span class="badge badge-warn">Intake</span>' in html
    assert "Pretrial" in html
    assert '<span class="badge badge-level-medium">Medium</span>' in html
    assert '<dd data-testid="housing">A1 / A1-1 / B1</dd>' in html
    assert 'class="badge badge-bad">Escape risk</span>' in html
    # No photo yet: initials stand in.
    assert 'aria-label="No photo on record">NU</span>' in html


def test_the_header_counts_the_checklist(site, booking_clerk, officer, client_for):
    booking = book(site)
    booking_identity_confirm(actor=booking_clerk, booking=booking, method="passport")
    html = client_for(officer).get(url(booking)).content.decode()
    summary = html[html.index('data-testid="checklist-summary"') :].split("</p>")[0]
    text = re.sub(r"<[^>]+>", "", summary)
    # identity done; charges, property, medical screening, housing, classification, PREA open.
    assert "1 done" in text
    assert "0 overdue" in text
    assert "6 open" in text
    assert "0 pending" in text


def test_a_booking_at_another_facility_is_not_found(site, outsider, client_for):
    booking = book(site)
    response = client_for(outsider).get(url(booking))
    assert response.status_code == 404
    assert b"Uzumaki" not in response.content


def test_an_unknown_booking_number_is_not_found(site, officer, client_for):
    assert client_for(officer).get("/bookings/TST-1999-000001/").status_code == 404


def test_an_administrator_without_booking_view_is_refused(site, admin_user, client_for):
    booking = book(site)
    assert client_for(admin_user).get(url(booking)).status_code == 403


def test_the_booking_number_may_be_typed_in_small_letters(site, officer, client_for):
    booking = book(site)
    response = client_for(officer).get(f"/bookings/{booking.booking_number.lower()}/")
    assert response.status_code == 200


def test_the_checklist_section_says_who_records_pending_steps(site, booking_clerk, officer,
                                                              client_for, monkeypatch):  # fmt: skip
    # Every module that records a step is installed: take the medical one away.
    recorded = checklist.recorded_steps() - {"medical_screening"}
    monkeypatch.setattr(checklist, "recorded_steps", lambda: recorded)
    booking = book(site)
    booking_identity_confirm(actor=booking_clerk, booking=booking, method="passport checked")
    html = section_html(client_for(officer).get(url(booking)).content.decode(), "checklist")
    identity = html[html.index('data-step="identity"') :].split("</tr>")[0]
    assert 'data-state="done"' in identity
    assert "passport checked" in identity
    assert "Bea Booking" in identity
    medical = html[html.index('data-step="medical_screening"') :].split("</tr>")[0]
    assert 'data-state="pending"' in medical
    assert PENDING_STEP.format(owner="Medical") in medical
    assert 'data-state="open"' in html[html.index('data-step="charges"') :].split("</tr>")[0]


def test_an_overdue_step_is_marked(site, officer, client_for, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC), tick=False)
    booking = book(site)
    time_machine.move_to(dt.datetime(2026, 3, 1, 18, 0, tzinfo=dt.UTC), tick=False)
    html = client_for(officer).get(url(booking)).content.decode()
    identity = section_html(html, "checklist")
    identity = identity[identity.index('data-step="identity"') :].split("</tr>")[0]
    assert 'data-state="overdue"' in identity
    assert "by 2\xa0hours" in identity
    # Identity, charges, property, the medical screening and housing: eight hours each.
    assert "5 overdue" in re.sub(r"<[^>]+>", "", html)


def test_the_identity_section(site, officer, client_for):
    booking = book(
        site,
        identifiers={"passport": "LEAF-0001"},
        details=BookingDetails(
            committing_authority="Konoha Military Police", authority_reference="W-77",
            height_cm=166, weight_kg=50, eye_colour="blue", hair_colour="blond",
            distinguishing_marks="whisker marks on both cheeks",
            emergency_contact_name="Iruka Umino", emergency_contact_relationship="teacher",
            emergency_contact_phone="+81 555 0100",
        ),
    )  # fmt: skip
    html = section_html(client_for(officer).get(url(booking)).content.decode(), "identity")
    for text in (
        "Passport", "LEAF-0001", "166 cm", "50 kg", "blue", "blond", "whisker marks",
        "Iruka Umino", "teacher", "+81 555 0100", "Konoha Military Police", "W-77", "Warrant",
    ):  # fmt: skip
        assert text in html


def test_the_charges_section(site, officer, client_for):
    booking = book(
        site,
        charges=[ChargeData(statute="KPC 12", description="Vandalism of the Hokage rock",
                            severity="misdemeanour", counts=2)],
    )  # fmt: skip
    html = section_html(client_for(officer).get(url(booking)).content.decode(), "charges")
    assert "KPC 12" in html
    assert "Vandalism of the Hokage rock" in html
    assert "Misdemeanour" in html
    assert "1 charge, 2 counts." in html


def test_the_property_section_shows_who_signed_and_what_is_held(
    site, booking_clerk, commander, officer, client_for
):
    booking = book(site)
    property_item_add(
        actor=booking_clerk, booking=booking,
        data=PropertyData(kind="taken", description="Frog wallet", cash_amount="12.50",
                          bag_number="BAG-9"),
    )  # fmt: skip
    kunai = property_item_add(
        actor=booking_clerk, booking=booking, data=PropertyData(kind="taken", description="Kunai")
    )
    property_item_add(
        actor=booking_clerk, booking=booking,
        data=PropertyData(kind="issued", description="Orange jumpsuit", condition="new"),
    )  # fmt: skip
    property_inventory_sign(actor=booking_clerk, booking=booking)
    property_item_return(actor=commander, item=kunai, note="to the armoury")
    html = section_html(client_for(officer).get(url(booking)).content.decode(), "property")
    assert "Inventory signed by <strong>Bea Booking</strong>" in html
    assert "2 taken, 1 issued" in html
    assert "2 items held." in html
    taken = html[html.index('data-testid="property-taken"') :].split("</table>")[0]
    assert "Frog wallet" in taken
    assert "cash 12.50" in taken
    assert "BAG-9" in taken
    assert "signed by Bea Booking" in taken
    kunai_row = taken[taken.index("Kunai") :].split("</tr>")[0]
    assert "Returned" in kunai_row
    assert "Cara Commander" in kunai_row
    assert "to the armoury" in kunai_row
    issued = html[html.index('data-testid="property-issued"') :].split("</table>")[0]
    assert "Orange jumpsuit" in issued
    assert ">Held<" in issued


def test_the_flags_section_shows_active_and_lifted(site, commander, officer, client_for):
    booking = book(site)
    flag_set(
        actor=commander, booking=booking, kind="containment", detail="chakra-suppression",
        reason="nine-tailed fox", until=clock.now() + dt.timedelta(days=30),
    )  # fmt: skip
    diet = flag_set(
        actor=commander, booking=booking, kind="diet", detail="ramen only", reason="asked"
    )
    flag_lift(actor=commander, flag=diet, reason="eats anything now")
    html = section_html(client_for(officer).get(url(booking)).content.decode(), "flags")
    active = html[html.index('data-testid="flags-active"') :].split("</ul>")[0]
    assert "Containment need" in active
    assert "chakra-suppression" in active
    assert "nine-tailed fox" in active
    assert "by Cara Commander" in active
    assert "until" in active
    past = html[html.index('data-testid="flags-past"') :].split("</ul>")[0]
    assert "Diet" in past
    assert "eats anything now" in past
    assert "1 lifted or expired flag" in html


def test_the_housing_section_shows_the_bed_and_its_history(site, supervisor, officer, client_for):
    booking = book(site)
    ready_for_bed(booking)
    bed_assign(actor=supervisor, booking=booking, bed=bed(site, 0, 0))
    bed_assign(actor=supervisor, booking=booking, bed=bed(site, 1, 1), reason="fight in A1-1")
    html = section_html(client_for(officer).get(url(booking)).content.decode(), "housing")
    assert "In <strong>A1 / A1-2 / bed B2</strong>" in html
    history = html[html.index('data-testid="bed-history"') :]
    assert history.index("A1 / A1-2 / B2") < history.index("A1 / A1-1 / B1")
    assert "fight in A1-1" in history


def test_someone_not_housed_is_shown_so(site, officer, client_for):
    html = client_for(officer).get(url(book(site))).content.decode()
    assert '<dd data-testid="housing"><span class="not-housed">Not housed</span>' in html
    # And offered a bed: the link opens the bed board on the person's best bed.
    assert 'data-testid="find-a-bed"' in html
    assert "No bed assignment yet." in section_html(html, "housing")


def test_the_photo_shows_in_the_header(site, officer, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    booking = book(site)
    photo = person_photo_add(actor=None, person=booking.person, content=png(), booking=booking)
    html = client_for(officer).get(url(booking)).content.decode()
    assert reverse("people:thumbnail", args=[photo.public_id]) in html
    assert reverse("people:photo", args=[photo.public_id]) in html


def test_a_juvenile_is_badged_in_the_header(site, officer, client_for):
    today = clock.now().date()
    booking = book(site, "Konohamaru", "Sarutobi", born=today.replace(year=today.year - 12))
    html = client_for(officer).get(url(booking)).content.decode()
    flags = html[html.index('data-testid="profile-flags"') :].split("</p>")[0]
    assert ">Juvenile</span>" in flags


def test_intake_links_are_for_those_who_may_book(site, booking_clerk, officer, client_for):
    booking = book(site)
    clerk_html = client_for(booking_clerk).get(url(booking)).content.decode()
    for name in ("identity", "details", "charges", "photo", "property"):
        assert reverse(f"intake:{name}", args=[booking.booking_number]) in clerk_html
    officer_html = client_for(officer).get(url(booking)).content.decode()
    assert 'data-testid="intake-links"' not in officer_html
    assert reverse("intake:charges", args=[booking.booking_number]) not in officer_html


def test_an_officer_sees_every_built_in_section_in_order(site, officer, client_for):
    html = client_for(officer).get(url(book(site))).content.decode()
    keys = re.findall(r'data-section="(\w+)"', html)
    assert keys == [
        "checklist",
        "identity",
        "charges",
        "court",
        "property",
        "flags",
        "medical",
        "classification",
        "housing",
        "custody",
        "release",
        "meals",
        "visits",
        "alerts",
        "requests",
    ]


@pytest.fixture
def restore_sections():
    saved = list(profile.SECTIONS)
    yield
    profile.SECTIONS[:] = saved


def _chaplaincy_context(request, booking):
    return {"note": f"pastoral note for {booking.booking_number}"}


def test_a_later_app_registers_a_section_seen_only_by_those_allowed(
    site, officer, commander, client_for, restore_sections, tmp_path, settings
):
    template_dir = tmp_path / "templates"
    (template_dir / "chaplaincy").mkdir(parents=True)
    (template_dir / "chaplaincy" / "summary.html").write_text("<p>{{ data.note }}</p>")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], template_dir]}]
    section = ProfileSection(
        key="chaplaincy", title="Chaplaincy summary", template="chaplaincy/summary.html",
        perm=Perm.CLASSIFICATION_EDIT, context=_chaplaincy_context,
    )  # fmt: skip
    register(section, after="charges")
    register(section, after="charges")  # ready() may run twice
    booking = book(site)
    html = client_for(commander).get(url(booking)).content.decode()
    keys = re.findall(r'data-section="(\w+)"', html)
    assert keys == [
        "checklist",
        "identity",
        "charges",
        "chaplaincy",
        "court",
        "property",
        "flags",
        "medical",
        "classification",
        "housing",
        "custody",
        "release",
        "meals",
        "visits",
        "alerts",
        "requests",
    ]
    assert f"pastoral note for {booking.booking_number}" in html
    officer_html = client_for(officer).get(url(booking)).content.decode()
    assert "pastoral note" not in officer_html
    assert "Chaplaincy summary" not in officer_html


def test_sections_for_filters_by_the_permission_at_the_booking_facility(
    site, officer, rf, restore_sections
):
    booking = book(site)
    register(ProfileSection("secret", "Secret", "x.html", Perm.AUDIT_READ, lambda r, b: {"x": 1}))
    request = rf.get("/")
    request.user = officer
    keys = [section.key for section, _ in sections_for(request, booking)]
    assert "secret" not in keys
    assert keys[0] == "checklist"


def test_registering_after_an_unknown_section_fails_loudly(restore_sections):
    with pytest.raises(ValueError, match="nowhere"):
        register(
            ProfileSection("x", "X", "x.html", Perm.BOOKING_VIEW, lambda r, b: {}), after="nowhere"
        )


def _grow(site, booking, clerk, supervisor, commander, n, start=0):
    ready_for_bed(booking)
    for i in range(start, start + n):
        charge_add(
            actor=clerk, booking=booking,
            data=ChargeData(statute=f"KPC {i}", description=f"Charge {i}", severity="felony"),
        )  # fmt: skip
        property_item_add(
            actor=clerk, booking=booking,
            data=PropertyData(kind="taken" if i % 2 else "issued", description=f"Item {i}"),
        )  # fmt: skip
        flag = flag_set(
            actor=commander, booking=booking, kind="diet", detail=f"diet {i}", reason="asked"
        )
        flag_lift(actor=commander, flag=flag, reason="changed")
        bed_assign(actor=supervisor, booking=booking, bed=bed(site, i % 2, (i // 2) % 2))


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_query_count_does_not_grow_with_the_record(
    site, booking_clerk, supervisor, commander, client_for, settings, tmp_path,
    django_assert_num_queries,
):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    booking = book(site, identifiers={"passport": "P-1"})
    person_photo_add(actor=None, person=booking.person, content=png())
    booking_identity_confirm(actor=booking_clerk, booking=booking, method="passport")
    client = client_for(commander)
    _grow(site, booking, booking_clerk, supervisor, commander, 1)
    client.get(url(booking))  # the first request after sign-in does one-off writes
    one = _queries(client, url(booking))
    _grow(site, booking, booking_clerk, supervisor, commander, 9, start=1)
    person_photo_add(actor=None, person=booking.person, content=png((1, 2, 3)))
    with django_assert_num_queries(one):
        html = client.get(url(booking)).content.decode()
    assert "Charge 9" in html
    assert "Item 9" in html
