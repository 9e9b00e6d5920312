from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "compliance.controls"
    label = "controls"
    verbose_name = "Controls"
