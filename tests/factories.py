"""factory-boy factories; bulk helpers share one precomputed password hash."""

import factory
from django.contrib.auth.hashers import make_password

from identities.models import Group, Membership, Role, RoleAssignment, User

TEST_PASSWORD = "a-test-password-42"
_HASH: dict[str, str] = {}


def password_hash() -> str:
    if "value" not in _HASH:
        _HASH["value"] = make_password(TEST_PASSWORD)
    return _HASH["value"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:06d}")
    password = factory.LazyFunction(password_hash)


class RootUserFactory(UserFactory):
    username = "root"
    is_superuser = True


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("group_name",)

    group_name = factory.Sequence(lambda n: f"group{n:05d}")


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role
        django_get_or_create = ("role_name",)

    role_name = factory.Sequence(lambda n: f"role{n:05d}")


def bulk_users(count: int, prefix: str = "bulk") -> list[User]:
    """Many users in one INSERT, for query-count tests at two sizes."""
    return User.objects.bulk_create(UserFactory.build(username=f"{prefix}{index:06d}") for index in range(count))


def bulk_memberships(group: Group, users: list[User]) -> None:
    Membership.objects.bulk_create(Membership(group=group, user=user) for user in users)


def bulk_assignments(role: Role, users: list[User]) -> None:
    RoleAssignment.objects.bulk_create(RoleAssignment(role=role, user=user) for user in users)
