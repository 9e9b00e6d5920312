import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from compliance.accounts.roles import ROLE_PERMISSIONS, Role


def group_permissions() -> dict[str, set[str]]:
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


@pytest.mark.django_db
def test_migrations_create_every_role_with_its_permissions():
    groups = group_permissions()
    assert set(groups) == {role.value for role in Role}
    for role, permissions in ROLE_PERMISSIONS.items():
        assert groups[role] == set(permissions), role


@pytest.mark.django_db(transaction=True)
def test_flush_leaves_the_role_groups_in_place():
    call_command("flush", interactive=False, verbosity=0)
    groups = group_permissions()
    assert set(groups) == {role.value for role in Role}
    assert groups[Role.AUDITOR] == set(ROLE_PERMISSIONS[Role.AUDITOR])
