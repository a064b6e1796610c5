"""A ModelAdmin whose every save and delete is audited in the same transaction.

The Django admin serves installation superusers (configuration); staff work
through the pages and the API.  Its writes still leave an audit event with the
fields that changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.forms import ModelForm
from django.http import HttpRequest

from cellblock.audit.services import audit_record


def _facility_of(obj: models.Model) -> Any:
    for path in ("facility", "zone.facility", "unit.zone.facility", "cell.unit.zone.facility"):
        target: Any = obj
        for part in path.split("."):
            target = getattr(target, part, None)
            if target is None:
                break
        if target is not None:
            return target
    return None


class AuditedModelAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action=f"admin.{obj._meta.model_name}.{'change' if change else 'create'}",
                obj=obj,
                facility=_facility_of(obj),
                changes={name: form.cleaned_data.get(name) for name in form.changed_data},
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Inline rows (features, beds, memberships) are audited with their parent.
        with transaction.atomic():
            instances = formset.save()
            if instances or formset.deleted_objects:
                audit_record(
                    actor=request.user,  # type: ignore[arg-type]
                    action=f"admin.{formset.model._meta.model_name}.change",
                    obj=form.instance,
                    facility=_facility_of(form.instance),
                    changes={
                        "saved": [str(i) for i in instances],
                        "deleted": [str(i) for i in formset.deleted_objects],
                    },
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action=f"admin.{obj._meta.model_name}.delete",
                obj=obj,
                facility=_facility_of(obj),
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)
