"""factory_boy factories shared by the suite."""

import factory
from django.contrib.auth.models import Group

from compliance.accounts.models import User
from compliance.accounts.roles import Role

DEFAULT_PASSWORD = "correct horse battery staple 42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@staff.example.org")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set([Group.objects.get(name=role) for role in extracted])
        if create:
            self.save()


def user_with_role(role: Role | str | None, **kwargs) -> User:
    """Return a saved user holding ``role`` (None for no role)."""
    return UserFactory(roles=[role] if role else [], **kwargs)
