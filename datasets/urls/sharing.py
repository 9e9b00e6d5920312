"""Share links: issuing, revoking, and the recipient's download (namespace "sharing")."""

app_name = "sharing"

urlpatterns: list = []
