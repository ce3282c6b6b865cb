"""Names that look like, fold to or normalise to another: refused when created, naming nobody at sign-in.

AWS names are ASCII letters, digits and + = , . @ _ -, unique without regard to case. So
a fullwidth ｍｉａ (NFKC: mia), a Kelvin sign (lower case: k), a dotted capital I or
Cyrillic look-alikes are no names at all, and MIA is mia's name in other letters."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from identities import services
from identities.audit import AuditEvent
from identities.models import Group, Role, User
from policies import services as policy_services
from policies.models import ManagedPolicy
from tests import factories
from tests.documents import allow
from tests.identities.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

# Each look-alike, and the first character the refusal names.
LOOK_ALIKES = {
    "\uff4d\uff49\uff41": "FULLWIDTH LATIN SMALL LETTER M",  # ｍｉａ
    "\u212aim": "KELVIN SIGN",  # Kim, which folds to kim
    "M\u0130A": "LATIN CAPITAL LETTER I WITH DOT ABOVE",  # MİA
    "\u043c\u0456\u0430": "CYRILLIC SMALL LETTER EM",  # міа
}
DOCUMENT = allow("storage:GetObject")


def create(kind: str, name: str):
    if kind == "user":
        return services.create_user(username=name, actor=None)
    if kind == "group":
        return services.create_group(group_name=name, actor=None)
    if kind == "role":
        return services.create_role(role_name=name, actor=None)
    return policy_services.create_policy(policy_name=name, document=DOCUMENT, actor=None)[0]


def names() -> tuple:
    return (
        sorted(User.objects.values_list("username", flat=True)),
        sorted(Group.objects.values_list("group_name", flat=True)),
        sorted(Role.objects.values_list("role_name", flat=True)),
        sorted(ManagedPolicy.objects.values_list("policy_name", flat=True)),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def taken(db):
    """A user, a group, a role and a policy each named mia, and each named kim."""
    for kind in ("user", "group", "role", "policy"):
        for name in ("mia", "kim"):
            create(kind, name)


KINDS = ["user", "group", "role", "policy"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("name", "character"), LOOK_ALIKES.items())
def test_a_look_alike_name_is_refused_naming_the_character(taken, kind, name, character):
    before = names()
    with pytest.raises(ValidationError) as refusal:
        create(kind, name)
    message = " ".join(refusal.value.messages)
    assert "may contain only letters, digits and + = , . @ _ -" in message
    assert character in message and "ASCII" in message
    assert names() == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["MIA", "Mia", "KIM"])
def test_a_name_differing_only_in_case_is_refused(taken, kind, name):
    before = names()
    with pytest.raises(ValidationError, match=r"already exists \(names are compared without regard to case\)"):
        create(kind, name)
    assert names() == before


def post_create(client: Client, kind: str, name: str):
    """The console's create page of `kind`, posted with `name` and otherwise valid fields."""
    pages = {
        "user": ("identities:user-create", {"username": name, "is_active": "on"}),
        "group": ("identities:group-create", {"group_name": name}),
        "role": ("identities:role-create", {"role_name": name, "max_session_duration": "3600"}),
        "policy": ("policies:policy-create", {"policy_name": name, "document": json.dumps(DOCUMENT)}),
    }
    url, fields = pages[kind]
    return client.post(reverse(url), {"path": "/", **fields})


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("name", "shown"),
    [*LOOK_ALIKES.items(), ("MIA", "already exists (names are compared without regard to case)")],
)
def test_the_console_create_forms_refuse_look_alikes_and_case_variants(taken, root_client, kind, name, shown):
    before = names()
    response = post_create(root_client, kind, name)
    assert response.status_code in (200, 400)
    assert shown in response.content.decode()
    assert names() == before


# Signing in


@pytest.fixture
def accounts(db):
    return {name: factories.UserFactory(username=name) for name in ("mia", "kim")}


@pytest.mark.parametrize(
    "typed", ["\uff2d\uff29\uff21", "\uff4d\uff49\uff41", "\u212aim", "M\u0130A", "\u043c\u0456\u0430"]
)
def test_a_look_alike_sign_in_name_names_nobody(client, accounts, typed):
    response = sign_in(client, typed)  # the right password of mia and of kim
    assert response.status_code == 200
    assert "The user name or password is not right." in response.content.decode()
    assert "_auth_user_id" not in client.session
    failure = AuditEvent.objects.get(event_name="ConsoleLogin")
    assert (failure.outcome, failure.actor_arn, failure.target_arn) == ("Failure", "", "")
    assert failure.after["user_name"] == "HIDDEN_DUE_TO_SECURITY_REASONS"


def test_the_same_name_in_other_ascii_letters_signs_in(client, accounts):
    assert sign_in(client, "MIA").status_code == 302
    assert client.session["_auth_user_id"] == str(accounts["mia"].pk)


@pytest.mark.parametrize(("typed", "owner"), [("\uff2d\uff29\uff21", "mia"), ("\u212aim", "kim")])
def test_failures_under_a_look_alike_are_counted_apart_from_the_name_it_resembles(accounts, settings, typed, owner):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(Client(), typed, "wrong-password")
    assert sign_in(Client(), typed, "wrong-password").status_code == 429  # locked, like any name
    assert sign_in(Client(), owner).status_code == 302  # its owner is not
