"""Project URL map: pages per app, the JSON API at /api/, the admin."""

from django.contrib import admin
from django.urls import include, path

from cellblock.api import api

urlpatterns = [
    path("", include("cellblock.core.urls")),
    path("accounts/", include("cellblock.accounts.urls")),
    path("facilities/", include("cellblock.facilities.urls")),
    path("bookings/", include("cellblock.booking.urls")),
    path("intake/", include("cellblock.booking.intake_urls")),
    path("people/", include("cellblock.people.urls")),
    path("classification/", include("cellblock.classification.urls")),
    path("housing/", include("cellblock.housing.urls")),
    path("custody/", include("cellblock.custody.urls")),
    path("incidents/", include("cellblock.incidents.urls")),
    path("requests/", include("cellblock.requests.urls")),
    path("medical/", include("cellblock.medical.urls")),
    path("court/", include("cellblock.court.urls")),
    path("releases/", include("cellblock.release.urls")),
    path("compliance/", include("cellblock.compliance.urls")),
    path("visits/", include("cellblock.visits.urls")),
    path("imports/", include("cellblock.exchange.urls")),
    path("audit/", include("cellblock.audit.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
