"""The "Visits" section of a person's profile."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cellblock.visits.services.scheduling import visit_cancel
from cellblock.visits.tests.pages_support import (
    book,
    ino_fixture,  # noqa: F401  (the ino fixture)
    kakashi_fixture,  # noqa: F401  (the kakashi fixture)
    listed,
)

pytestmark = pytest.mark.django_db


def profile(booking):
    return reverse("booking:profile", args=[booking.booking_number])


def test_the_profile_shows_the_visiting_list_and_the_visits_to_come(
    kakashi, ino, contact_room, visits_clerk, officer, client_for
):
    listed(kakashi, visits_clerk, ino)
    visit = book(visits_clerk, kakashi, [ino], contact_room)
    body = client_for(officer).get(profile(kakashi)).content.decode()
    assert 'data-section="visits"' in body
    assert 'data-testid="profile-visiting-list"' in body
    assert "Ino Yamanaka" in body
    assert reverse("visits:detail", args=[visit.public_id]) in body
    assert reverse("visits:visiting_list", args=[kakashi.booking_number]) in body
    # Officers do not schedule visits.
    assert f"{reverse('visits:new')}?booking=" not in body


def test_past_visits_are_recent_visits_with_what_became_of_them(
    kakashi, ino, contact_room, visits_clerk, client_for
):
    listed(kakashi, visits_clerk, ino)
    visit = book(visits_clerk, kakashi, [ino], contact_room)
    visit_cancel(actor=visits_clerk, visit=visit, reason="The visitor is ill.")
    body = client_for(visits_clerk).get(profile(kakashi)).content.decode()
    assert 'data-testid="profile-recent"' in body
    assert "The visitor is ill." in body
    assert f"{reverse('visits:new')}?booking={kakashi.booking_number}" in body


def test_the_section_comes_after_the_meals(kakashi, officer, client_for):
    body = client_for(officer).get(profile(kakashi)).content.decode()
    assert body.index('data-section="meals"') < body.index('data-section="visits"')
