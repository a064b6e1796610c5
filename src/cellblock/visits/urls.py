"""Visit pages (visits/views/): the day board, the calendar, scheduling, one visit, the registry."""

from cellblock.visits.views import board, calendar, detail, registry, schedule

app_name = "visits"

urlpatterns = [
    *board.urlpatterns,
    *calendar.urlpatterns,
    *schedule.urlpatterns,
    *registry.urlpatterns,
    *detail.urlpatterns,
]
