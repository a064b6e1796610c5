from cellblock.custody.views import (
    access,
    counts,
    days,
    meals,
    movements,
    posts,
    restraints,
    rounds,
)

app_name = "custody"

urlpatterns = [
    *counts.urlpatterns,
    *movements.urlpatterns,
    *rounds.urlpatterns,
    *restraints.urlpatterns,
    *access.urlpatterns,
    *posts.urlpatterns,
    *meals.urlpatterns,
    *days.urlpatterns,
]
