"""Reports pages: /dashboard/ and everything under /reports/."""

app_name = "reports"

urlpatterns: list = []
