"""Staff training pages under /training/."""

app_name = "staff_training"

urlpatterns: list = []
