"""The console shell of iamconsole/: sign-in and sign-out, the home page and its navigation."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from identities import queries, services
from identities.audit import AuditEvent
from policies import services as policy_services
from tests import factories
from tests.admin_forms import admin_form_data
from tests.clients import client_for

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/"


def test_sign_in_page_renders_a_labelled_form(client):
    response = client.get(reverse("login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username"' in body and '<label for="id_password"' in body
    assert "csrfmiddlewaretoken" in body


def test_signing_in_with_the_right_password_lands_on_the_dashboard(client, mia):
    response = client.post(reverse("login"), {"username": "mia", "password": factories.TEST_PASSWORD}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert b"Signed in as </span><strong>mia</strong>" in response.content


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(client, mia):
    wrong = client.post(reverse("login"), {"username": "mia", "password": "nope"})
    unknown = client.post(reverse("login"), {"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_disabled_users_cannot_sign_in(client, mia):
    services.update_user(user=mia, is_active=False, actor=None)
    request = RequestFactory().post("/sign-in/")  # django-axes watches sign-ins through their request
    assert client.login(request=request, username="mia", password=factories.TEST_PASSWORD) is False


def allow(user, *actions: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
    policy_services.put_inline_policy(identity=user, policy_name="Lists", document=document, actor=None)


def test_home_shows_counts_and_users_in_no_group_to_those_who_may_list(client, people, developers):
    services.add_members(group=developers, users=[people["mia"], people["oliver"]], actor=None)
    allow(people["mia"], "iam:ListUsers", "iam:ListGroups", "iam:ListRoles")
    client.force_login(people["mia"])
    response = client.get(reverse("home"))
    assert response.context["counts"] == {"users": 6, "groups": 1, "roles": 0}
    assert [u.username for u in response.context["users_in_no_group"]] == ["charles", "henry", "james", "lucas"]
    assert b"signed in as the account root user" not in response.content


def test_home_counts_only_what_the_user_may_list(client, people, developers):
    allow(people["mia"], "iam:ListGroups")
    client.force_login(people["mia"])
    response = client.get(reverse("home"))
    assert response.context["counts"] == {"groups": 1}
    assert response.context["users_in_no_group"] is None
    assert b"Users in no group" not in response.content


def test_without_list_rights_the_home_page_shows_your_own_access(client, people, developers):
    services.add_members(group=developers, users=[people["mia"]], actor=None)
    client.force_login(people["mia"])
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert response.context["counts"] == {} and response.context["users_in_no_group"] is None
    assert "Your access" in body and "Developers" in body
    assert "Users in no group" not in body and 'class="display-6"' not in body


def test_users_in_no_group_are_cached_until_something_changes_them(people, developers, django_assert_num_queries):
    assert [u.username for u in queries.users_in_no_group_cached()] == [*sorted(people)]
    with django_assert_num_queries(4):  # the newest pks and the permissions generation, not the search
        queries.users_in_no_group_cached()
    services.add_members(group=developers, users=[people["mia"], people["oliver"]], actor=None)
    assert "mia" not in [u.username for u in queries.users_in_no_group_cached()]
    factories.UserFactory(username="zoe")
    assert [u.username for u in queries.users_in_no_group_cached()][-1] == "zoe"
    services.update_user(user=people["charles"], username="charlie", actor=None)
    assert "charlie" in [u.username for u in queries.users_in_no_group_cached()]
    services.delete_user(user=people["henry"], actor=None)
    assert "henry" not in [u.username for u in queries.users_in_no_group_cached()]


def test_the_dashboard_counts_are_cached_until_an_identity_is_added_or_removed(people, django_assert_num_queries):
    kinds = ("users", "groups", "roles")
    assert queries.identity_counts(kinds) == {"users": 6, "groups": 0, "roles": 0}
    with django_assert_num_queries(4):  # the newest pks and the permissions generation, not the counts
        assert queries.identity_counts(kinds) == {"users": 6, "groups": 0, "roles": 0}
    group = factories.GroupFactory(group_name="Testers")
    assert queries.identity_counts(kinds)["groups"] == 1
    factories.RoleFactory(role_name="Auditor")
    assert queries.identity_counts(kinds)["roles"] == 1
    services.delete_group(group=group, actor=None)
    services.delete_user(user=people["henry"], actor=None)
    assert queries.identity_counts(kinds) == {"users": 5, "groups": 0, "roles": 1}


def test_the_navigation_shows_only_the_pages_the_user_may_open(org):
    mia = client_for("mia").get(reverse("home")).content.decode()
    admin = client_for("iam-admin").get(reverse("home")).content.decode()
    links = {
        reverse("identities:user-list"): "Users",
        reverse("identities:group-list"): "Groups",
        reverse("policies:policy-list"): "Policies",
        reverse("identities:audit-list"): "Audit trail",
        reverse("policies:who-can"): "Who can",
        reverse("admin:index"): "Admin",
    }
    for url, label in links.items():
        anchor = f'href="{url}">{label}</a>'
        assert anchor in admin, label
        assert anchor not in mia, label
    for url in (reverse("identities:account"), reverse("policies:policy-check"), reverse("policies:what-can")):
        assert f'href="{url}"' in mia and f'href="{url}"' in admin


def test_home_tells_root_to_create_an_administrator(root_client):
    response = root_client.get(reverse("home"))
    assert b"You are signed in as the account root user" in response.content
    assert b"Create an IAM administrator user" in response.content


def test_sign_out_is_a_post(client, mia):
    client.force_login(mia)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_audit_records_the_requests_source_ip(root_client, mia):
    url = reverse("admin:identities_user_change", args=[mia.pk])
    fields = {"username": "mia", "path": "/eu/", "tags": "", "is_active": "on"}
    root_client.post(url, admin_form_data(root_client, url, fields), REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get(event_name="UpdateUser")
    assert (event.source_ip, event.actor_arn) == ("203.0.113.9", "arn:aws:iam::123456789012:root")


def icon_of(response) -> str:
    """The text of the icon a page's <link rel="icon"> names, as the static files serve it."""
    import re

    from django.contrib.staticfiles import finders

    href = re.search(r'<link rel="icon" type="image/svg\+xml" href="/static/([^"]+)"', response.content.decode())
    with open(finders.find(href.group(1)), encoding="utf-8") as icon:
        return icon.read()


def test_the_console_and_the_admin_name_the_same_svg_favicon(root_client):
    console, admin_page = icon_of(root_client.get(reverse("home"))), icon_of(root_client.get(reverse("admin:index")))
    assert console == admin_page
    assert console.startswith("<svg xmlns=")


def _acting_as(name: str, role_name: str):
    from identities.models import Role

    client = client_for(name)
    role = Role.objects.get(role_name=role_name)
    assert client.post(reverse("policies:role-switch"), {"role": role.pk, "duration": 900}).status_code == 302
    return client


def _own_section(response) -> str:
    text = response.content.decode()
    start = text.index('aria-labelledby="own-heading"')
    return text[start : text.index("</section>", start)]


def test_acting_as_a_role_your_access_is_the_roles_not_the_users(org):
    response = _acting_as("charles", "AuditReviewer").get(reverse("home"))
    assert response.context["own"] is None
    section = _own_section(response)
    assert "Your access: role AuditReviewer" in section
    assert "Developers" not in section and "AuditTeam" not in section  # charles's own groups
    assert "assumed-role/AuditReviewer/charles" in section
    policy = org.policies["ReadOnlyAccess"]
    assert f'href="{reverse("policies:policy-detail", args=[policy.pk])}">ReadOnlyAccess</a>' in section
    session_arn = "arn%3Aaws%3Asts%3A%3A123456789012%3Aassumed-role/AuditReviewer/charles"
    assert f"?kind=session&amp;principal={session_arn}" in section


def test_acting_as_a_role_it_may_not_read_names_it_and_its_policies_unlinked(org):
    section = _own_section(_acting_as("mia", "ReleaseManager").get(reverse("home")))
    assert "Your access: role ReleaseManager" in section and "ShipReleases" in section
    assert "Developers" not in section
    assert "/roles/" not in section
    assert "What can I do?" not in section  # ReleaseManager may not simulate itself: no link to a 403


def test_the_role_sessions_dashboard_costs_the_same_queries_at_two_sizes(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from identities.models import Role
    from policies.models import ManagedPolicy, PolicyAttachment, PolicyVersion
    from tests.documents import allow

    role = Role.objects.get(role_name="AuditReviewer")

    def attach(count: int, prefix: str) -> None:
        created = ManagedPolicy.objects.bulk_create(
            [ManagedPolicy(policy_name=f"{prefix}{index:04}", next_version_number=2) for index in range(count)]
        )
        document = allow("storage:GetObject")
        PolicyVersion.objects.bulk_create(
            [PolicyVersion(policy=item, number=1, is_default=True, document=document) for item in created]
        )
        PolicyAttachment.objects.bulk_create([PolicyAttachment(policy=item, role=role) for item in created])

    def counted(client) -> int:
        client.get(reverse("home"))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    client = _acting_as("charles", "AuditReviewer")
    attach(2, "Few")
    small = counted(client)
    attach(40, "Many")
    assert "Many0039" in _own_section(client.get(reverse("home")))
    assert counted(client) == small


def test_users_in_no_group_are_linked_only_where_the_viewer_may_open_them(org):
    henry = reverse("identities:user-detail", args=[org.henry.pk])
    listed_only = client_for("dev-admin").get(reverse("home"))  # lists users, opens none
    assert "henry" in [person.username for person in listed_only.context["users_in_no_group"]]
    assert f'href="{henry}"' not in listed_only.content.decode()
    assert f'href="{henry}"' in client_for("iam-admin").get(reverse("home")).content.decode()


def test_the_theme_is_set_in_head_before_the_page_is_painted(client):
    body = client.get(reverse("login")).content.decode()
    head, _, rest = body.partition("</head>")
    assert '<script src="/static/js/theme.js"></script>' in head
    assert "<script>" not in body  # no inline script: the Content-Security-Policy refuses it
    assert 'data-theme-toggle aria-pressed="false" aria-label="Dark mode"' in rest
