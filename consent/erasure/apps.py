from django.apps import AppConfig


class ErasureConfig(AppConfig):
    name = "consent.erasure"
    label = "erasure"
    verbose_name = "Erasure"
