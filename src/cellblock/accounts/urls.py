from django.urls import path

from cellblock.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<uuid:public_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("staff/", views.staff, name="staff"),
    path("staff/<uuid:public_id>/unlock/", views.staff_unlock, name="staff_unlock"),
    path("staff/<uuid:public_id>/active/", views.staff_active, name="staff_active"),
    path("staff/<uuid:public_id>/role/", views.staff_role, name="staff_role"),
]
