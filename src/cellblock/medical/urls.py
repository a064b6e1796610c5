"""Medical pages (medical/views/): the work list, a person's record, screening, encounters."""

from cellblock.medical.views import access, encounters, record, screening, worklist

app_name = "medical"

urlpatterns = [
    *worklist.urlpatterns,
    *screening.urlpatterns,
    *encounters.urlpatterns,
    *record.urlpatterns,
    *access.urlpatterns,
]
