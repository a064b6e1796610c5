from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cellblock.audit"
    label = "audit"
    verbose_name = "Audit trail"
