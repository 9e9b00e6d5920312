"""ML models and their training runs (namespace "models")."""

app_name = "models"

urlpatterns: list = []
