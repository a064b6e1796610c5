"""Court pages (court/views/): the hearing calendar, cases, verdicts, sentences, holds, reviews."""

from cellblock.court.views import calendar, cases, holds, release_dates, sentences, verdicts

app_name = "court"

urlpatterns = [
    *calendar.urlpatterns,
    *cases.urlpatterns,
    *verdicts.urlpatterns,
    *sentences.urlpatterns,
    *holds.urlpatterns,
    *release_dates.urlpatterns,
]
