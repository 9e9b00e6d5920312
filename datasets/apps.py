from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "datasets"
    label = "datasets"
    verbose_name = "Registry"

    def ready(self):
        from compliance.crypto.rotation import register_artefact
        from datasets.key_rotation import keep_watermark_keys

        register_artefact("datasets.ShareLink watermark keys", keep_watermark_keys)
