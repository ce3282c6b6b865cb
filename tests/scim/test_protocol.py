"""SCIM's protocol (RFC 7644) through the test client: filters, pagination, ETags,
errors, discovery, and who may do what."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities import services as identity_services
from identities.models import User
from policies import services as policy_services
from tests.documents import allow
from tests.scim.conftest import (
    ERROR_SCHEMA,
    GROUP_SCHEMA,
    SCIM_TYPE,
    USER_SCHEMA,
    ScimClient,
    bearer,
    new_group,
    new_user,
)

pytestmark = pytest.mark.django_db
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [resource["userName"] for resource in response.json()["Resources"]]


@pytest.fixture
def five(scim):
    return [new_user(scim, name, displayName=f"{name.title()} Doe") for name in ("ava", "ben", "cy", "dee", "eve")]


# Filters


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "ben"', ["ben"]),
        ('USERNAME eq "BEN"', ["ben"]),  # attribute names and userName's values ignore case
        ('userName ne "ben"', ["ava", "cy", "dee", "eve"]),
        ('userName co "e"', ["ben", "dee", "eve"]),
        ('userName sw "d"', ["dee"]),
        ('userName ew "e"', ["dee", "eve"]),
        ('userName gt "cy"', ["dee", "eve"]),
        ('userName le "ben"', ["ava", "ben"]),
        ('displayName eq "cy doe"', ["cy"]),
        ("displayName pr", ["ava", "ben", "cy", "dee", "eve"]),
        ('userName eq "ava" or userName eq "eve"', ["ava", "eve"]),
        ('userName co "e" and not (userName eq "dee")', ["ben", "eve"]),
        ("active eq true", ["ava", "ben", "cy", "dee", "eve"]),
        ('externalId eq "ext-ava"', []),
    ],
)
def test_filters(scim, five, expression, expected):
    assert _names(scim.get("Users", {"filter": expression})) == expected


def test_filters_on_the_external_id_and_emails(scim):
    new_user(scim, "ava", externalId="00u-ava", emails=[{"value": "ava@example.org", "type": "work"}])
    new_user(scim, "ben", externalId="00u-ben", emails=[{"value": "ben@example.org", "type": "home"}])
    assert _names(scim.get("Users", {"filter": 'externalId eq "00u-ben"'})) == ["ben"]
    assert _names(scim.get("Users", {"filter": 'externalId eq "00U-BEN"'})) == []  # caseExact
    assert _names(scim.get("Users", {"filter": 'emails[type eq "work"]'})) == ["ava"]
    assert _names(scim.get("Users", {"filter": 'emails.value ew "ben@example.org"'})) == ["ben"]


def test_filters_on_groups(scim):
    ava = new_user(scim, "ava")
    new_group(scim, "Engineering", members=[ava["id"]])
    new_group(scim, "Sales")
    found = scim.get("Groups", {"filter": 'displayName eq "engineering"'}).json()
    assert [group["displayName"] for group in found["Resources"]] == ["Engineering"]
    members = scim.get("Groups", {"filter": f'members[value eq "{ava["id"]}"]'}).json()
    assert [group["displayName"] for group in members["Resources"]] == ["Engineering"]


@pytest.mark.parametrize("expression", ["userName eq", 'title eq "x"', "active gt true", '(userName eq "a"'])
def test_a_bad_filter_is_invalid_filter(scim, expression):
    response = scim.get("Users", {"filter": expression})
    assert response.status_code == 400
    body = response.json()
    assert (body["schemas"], body["scimType"]) == ([ERROR_SCHEMA], "invalidFilter")


# Pagination


def test_pagination_with_start_index_and_count(scim, five):
    page = scim.get("Users", {"startIndex": "2", "count": "2"}).json()
    assert page["schemas"] == [LIST_SCHEMA]
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [user["userName"] for user in page["Resources"]] == ["ben", "cy"]
    last = scim.get("Users", {"startIndex": "5", "count": "10"}).json()
    assert [user["userName"] for user in last["Resources"]] == ["eve"]


def test_count_zero_and_a_start_index_below_one(scim, five):
    counted = scim.get("Users", {"count": "0"}).json()
    assert (counted["totalResults"], counted.get("Resources", [])) == (5, [])
    assert _names(scim.get("Users", {"startIndex": "0", "count": "1"})) == ["ava"]


def test_search_by_post(scim, five):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'userName sw "e"'}
    assert _names(scim.post("Users/.search", body)) == ["eve"]


def test_attributes_select_what_is_returned(scim, five):
    found = scim.get("Users", {"filter": 'userName eq "ava"', "attributes": "userName"}).json()["Resources"]
    assert set(found[0]) == {"schemas", "id", "userName"}


# ETags


def test_if_match_with_the_current_version_applies(scim):
    created = new_user(scim, "ava")
    response = scim.patch(
        f"Users/{created['id']}", [{"op": "replace", "path": "displayName", "value": "A"}], **{"If-Match": 'W/"1"'}
    )
    assert (response.status_code, response["ETag"]) == (200, 'W/"2"')


def test_if_match_with_an_old_version_is_412_and_changes_nothing(scim):
    created = new_user(scim, "ava")
    scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "displayName", "value": "A"}])
    stale = {"If-Match": 'W/"1"'}
    patched = scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "displayName", "value": "B"}], **stale)
    assert patched.status_code == 412
    assert patched.json()["schemas"] == [ERROR_SCHEMA]
    assert scim.delete(f"Users/{created['id']}", **stale).status_code == 412
    assert scim.get(f"Users/{created['id']}").json()["displayName"] == "A"


def test_if_none_match_with_the_current_version_is_304(scim):
    created = new_user(scim, "ava")
    assert scim.get(f"Users/{created['id']}", **{"If-None-Match": 'W/"1"'}).status_code == 304
    assert scim.get(f"Users/{created['id']}", **{"If-None-Match": 'W/"9"'}).status_code == 200


# Only SCIM's own


def test_scim_sees_only_what_it_created(scim, org):
    new_user(scim, "ava")
    assert _names(scim.get("Users")) == ["ava"]
    assert scim.get("Groups").json()["totalResults"] == 0
    for path in (f"Users/{org.mia.iam_id}", f"Groups/{org.groups['Developers'].iam_id}", f"Users/{org.root.iam_id}"):
        assert scim.get(path).status_code == 404
        assert scim.delete(path).status_code == 404
        assert scim.patch(path, [{"op": "replace", "path": "active", "value": False}]).status_code == 404
    assert User.objects.get(username="mia").is_active is True


# Who may


def test_without_a_policy_the_provider_is_refused_and_nothing_changes(org):
    stranger = identity_services.create_user(username="stranger", actor=None)
    client = ScimClient(bearer(stranger))
    assert client.get("Users").status_code == 403
    response = client.post("Users", {"schemas": [USER_SCHEMA], "userName": "ava"})
    assert (response.status_code, response.json()["schemas"]) == (403, [ERROR_SCHEMA])
    assert "iam:CreateUser" in response.json()["detail"]
    assert not User.objects.filter(username="ava").exists()


def test_a_policy_for_the_console_only_does_not_reach_scim(org):
    console_only = identity_services.create_user(username="console-only", actor=None)
    condition = {"StringEquals": {"iamconsole:Interface": "console"}}
    policy_services.put_inline_policy(
        identity=console_only, policy_name="All", document=allow("iam:*", "*", condition), actor=None
    )
    client = ScimClient(bearer(console_only))
    assert client.post("Users", {"schemas": [USER_SCHEMA], "userName": "ava"}).status_code == 403
    assert not User.objects.filter(username="ava").exists()


def test_a_write_outside_scims_path_is_refused(scim, org):
    """The provider's policy reaches /scim/ only: renaming is asked on the new ARN too, and
    a group's members can only be SCIM's users."""
    created = new_group(scim, "Engineering")
    response = scim.put(f"Groups/{created['id']}", {"schemas": [GROUP_SCHEMA], "displayName": "Developers"})
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")


def test_the_root_users_key_is_refused(org):
    client = ScimClient(bearer(org.root))
    response = client.get("Users")
    assert response.status_code == 403
    assert response.json()["detail"] == "The account root user does not provision; use a service user's access key."


@pytest.mark.parametrize("authorization", ["", "Bearer nonsense", "Basic dXNlcjpwYXNz"])
def test_bad_credentials_are_401_in_scims_error_body(org, authorization):
    response = ScimClient(authorization).get("Users")
    assert response.status_code == 401
    assert response["Content-Type"] == SCIM_TYPE
    assert response.json()["schemas"] == [ERROR_SCHEMA]


def test_a_console_cookie_is_no_credential_and_none_is_set(org, scim):
    from django.test import Client

    signed_in = Client()
    signed_in.force_login(org.iam_admin)
    assert signed_in.get("/scim/v2/Users").status_code == 401
    assert scim.get("Users").cookies == {}
    assert scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "ava"}).cookies == {}


# Errors: always SCIM's body, never a 5xx


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status"),
    [
        ("GET", "Nowhere", None, SCIM_TYPE, 404),
        ("DELETE", "Users", None, SCIM_TYPE, 405),
        ("POST", "Users", "{not json", SCIM_TYPE, 400),
        ("POST", "Users", "[1, 2]", SCIM_TYPE, 400),
        ("POST", "Users", '{"userName": "ava"}', "text/plain", 415),
        ("POST", "Users", '{"schemas": ["urn:x"], "userName": "ava"}', SCIM_TYPE, 400),
        ("POST", "Users", json.dumps({"schemas": [USER_SCHEMA], "userName": 7}), SCIM_TYPE, 400),
        ("POST", "Users", json.dumps({"schemas": [USER_SCHEMA], "userName": "a\u0000b"}), SCIM_TYPE, 400),
        ("POST", "Groups", json.dumps({"schemas": [GROUP_SCHEMA], "members": [{"value": "x"}]}), SCIM_TYPE, 400),
        ("PATCH", "Users/AIDANOBODY", '{"Operations": []}', SCIM_TYPE, 404),
    ],
)
def test_bad_requests_get_scims_error_body(scim, method, path, body, content_type, status):
    response = scim.client.generic(method, f"/scim/v2/{path}", body or "", content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"] == SCIM_TYPE
    error = response.json()
    assert (error["schemas"], error["status"]) == ([ERROR_SCHEMA], str(status))
    assert not User.objects.filter(username="ava").exists()


def test_a_malformed_patch_is_refused_and_changes_nothing(scim):
    created = new_user(scim, "ava")
    path = f"Users/{created['id']}"
    for operations in ([{"op": "jump", "path": "active"}], [{"op": "replace", "path": "groups", "value": []}]):
        response = scim.patch(path, operations)
        assert (response.status_code, response.json()["schemas"]) == (400, [ERROR_SCHEMA])
    assert scim.get(path)["ETag"] == 'W/"1"'


# Discovery


def test_service_provider_config_says_patch_filter_and_etags_are_supported(scim):
    config = scim.get("ServiceProviderConfig").json()
    assert (config["patch"]["supported"], config["filter"]["supported"], config["etag"]["supported"]) == (
        True,
        True,
        True,
    )
    assert (config["bulk"]["supported"], config["changePassword"]["supported"], config["sort"]["supported"]) == (
        False,
        False,
        False,
    )


def test_resource_types_and_schemas(scim):
    types = scim.get("ResourceTypes").json()
    assert sorted(item["id"] for item in types["Resources"]) == ["Group", "User"]
    assert scim.get("ResourceTypes/User").json()["endpoint"] == "/Users"
    schemas = scim.get("Schemas").json()
    assert sorted(item["id"] for item in schemas["Resources"]) == [GROUP_SCHEMA, USER_SCHEMA]
    user = scim.get(f"Schemas/{USER_SCHEMA}").json()
    assert "password" not in {attribute["name"] for attribute in user["attributes"]}


# Query counts


def _queries(scim, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert scim.get(path).status_code == 200
    return len(queries)


def test_list_queries_stay_the_same_as_users_and_groups_grow(scim):
    def grow(count: int, start: int):
        users = [new_user(scim, f"user{start + index}") for index in range(count)]
        new_group(scim, f"group{start}", members=[user["id"] for user in users])

    # The lists, a filter the database answers, one matched in memory (emails), and a page.
    paths = (
        "Users",
        "Groups",
        "Users?filter=userName+sw+%22user%22",
        "Users?filter=emails+pr",
        "Groups?filter=members+pr",
        "Users?startIndex=2&count=1",
    )
    grow(2, 0)
    small = [_queries(scim, path) for path in paths]
    grow(6, 100)
    assert [_queries(scim, path) for path in paths] == small


def test_a_search_of_every_resource_type(scim):
    ava = new_user(scim, "ava")
    new_group(scim, "Engineering", members=[ava["id"]])
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "excludedAttributes": ["members"]}
    found = scim.post(".search", body).json()
    assert found["totalResults"] == 2
    assert [resource.get("userName", resource.get("displayName")) for resource in found["Resources"]] == [
        "ava",
        "Engineering",
    ]
    assert "members" not in found["Resources"][1]
    only = scim.post(".search", {**body, "filter": 'displayName eq "Engineering"'}).json()
    assert [resource["id"] for resource in only["Resources"]] == [found["Resources"][1]["id"]]


@pytest.mark.parametrize(
    "expression",
    [
        "(" * 3000 + 'userName eq "a"' + ")" * 3000,
        " and ".join(['userName eq "a"'] * 3000),
        "not (" * 2000 + 'userName eq "a"' + ")" * 2000,
        "not (" * 160 + 'userName eq "a"' + ")" * 160,  # scim2-models refuses past 32 levels
    ],
)
def test_a_monstrous_filter_is_refused_not_a_server_error(scim, expression):
    response = scim.post("Users/.search", {"filter": expression})
    assert response.status_code == 400
    assert response.json()["schemas"] == [ERROR_SCHEMA]


@pytest.mark.parametrize(
    "expression",
    [
        "not (" * 30 + 'userName eq "a"' + ")" * 30,
        "(" * 490 + 'userName eq "a"' + ")" * 490,
        " or ".join(['userName eq "a"'] * 52),
        " or ".join(['emails[type eq "w"]'] * 40),
    ],
)
def test_the_longest_filters_allowed_are_answered(scim, expression):
    assert len(expression) <= 1000
    response = scim.post("Users/.search", {"filter": expression})
    assert (response.status_code, response.json()["totalResults"]) == (200, 0)


def test_a_start_index_past_any_database_offset_is_an_empty_page(scim, five):
    page = scim.get("Users", {"startIndex": str(10**20)}).json()
    assert (page["totalResults"], page["itemsPerPage"], page["Resources"]) == (5, 0, [])


@pytest.mark.parametrize("params", [{"count": "abc"}, {"startIndex": "1e3"}, {"sortBy": "userName"}])
def test_bad_list_parameters_are_refused(scim, params):
    response = scim.get("Users", params)
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidValue")


def test_a_refusal_is_recorded_with_the_action_refused(org):
    from identities.audit import AuditEvent

    stranger = identity_services.create_user(username="stranger", actor=None)
    ScimClient(bearer(stranger)).post("Users", {"schemas": [USER_SCHEMA], "userName": "ava"})
    refused = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED, actor_arn=stranger.arn)
    assert (refused.event_name, refused.after["path"], refused.after["status"]) == ("CreateUser", "/scim/v2/Users", 403)
    assert refused.after["reason"].startswith("Your policies do not allow iam:CreateUser on ")
