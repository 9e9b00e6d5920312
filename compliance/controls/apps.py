from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "compliance.controls"
    label = "controls"
    verbose_name = "Controls"

    def ready(self):
        from compliance.controls.evidence_rotation import rotate_evidence_files
        from compliance.crypto.rotation import register_artefact

        register_artefact("controls.Evidence files", rotate_evidence_files)
