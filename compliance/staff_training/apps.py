from django.apps import AppConfig


class StaffTrainingConfig(AppConfig):
    name = "compliance.staff_training"
    label = "staff_training"
    verbose_name = "Staff training"
