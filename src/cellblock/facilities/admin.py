from django.contrib import admin

from cellblock.core.admin import AuditedModelAdmin
from cellblock.facilities.models import (
    Agency,
    Bed,
    Cell,
    CellFeature,
    Facility,
    FacilityPolicy,
    GuardPost,
    HousingUnit,
    Zone,
)


class CellFeatureInline(admin.TabularInline):
    model = CellFeature
    extra = 0


class BedInline(admin.TabularInline):
    model = Bed
    extra = 0


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Facility)
class FacilityAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "agency", "timezone")
    search_fields = ("code", "name")


@admin.register(FacilityPolicy)
class FacilityPolicyAdmin(AuditedModelAdmin):
    list_display = ("facility", "visit_length_minutes", "check_interval_general_minutes")


@admin.register(Zone)
class ZoneAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "facility", "restricted")
    list_filter = ("facility", "restricted")


@admin.register(HousingUnit)
class HousingUnitAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "zone", "security_rating", "sex_served", "age_group")
    list_filter = ("security_rating", "restrictive_housing")


@admin.register(Cell)
class CellAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "unit", "out_of_service")
    list_filter = ("out_of_service", "unit__zone__facility")
    search_fields = ("code", "name")
    inlines = (CellFeatureInline, BedInline)


@admin.register(GuardPost)
class GuardPostAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "facility", "required_officers")
