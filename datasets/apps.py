from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "datasets"
    label = "datasets"
    verbose_name = "Registry"
