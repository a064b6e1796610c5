from django.contrib import admin

from cellblock.accounts.models import Membership, User
from cellblock.core.admin import AuditedModelAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("facility", "role", "active", "granted_at")


@admin.register(User)
class UserAdmin(AuditedModelAdmin):
    list_display = ("username", "full_name", "is_active", "locked_at")
    search_fields = ("username", "full_name")
    list_filter = ("is_active",)
    # Passwords are set through the password form, never shown or edited here.
    exclude = ("password", "groups", "user_permissions")
    readonly_fields = ("last_login", "date_joined", "locked_at", "last_unlocked_at")
    inlines = (MembershipInline,)
