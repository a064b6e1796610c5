from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "cellblock.people"
    label = "people"
    verbose_name = "People"
