"""Release pages (release/views/): the release-date board and a booking's release page."""

from cellblock.release.views import board, booking

app_name = "release"

urlpatterns = [
    *board.urlpatterns,
    *booking.urlpatterns,
]
