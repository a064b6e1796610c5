from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "cellblock.compliance"
    label = "compliance"
    verbose_name = "Compliance"
