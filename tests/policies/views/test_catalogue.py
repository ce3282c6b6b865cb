"""The action catalogue as JSON for the statement builder (policies.views.catalogue): any
signed-in user reads it, anonymous callers are sent to sign in, the catalogue's version is the
ETag (an unchanged catalogue answers 304), and the query count does not grow with the catalogue."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policies import catalogue_data, services
from tests.clients import client_for

pytestmark = pytest.mark.django_db

INDEX = reverse("policies:catalogue")
STORAGE = reverse("policies:catalogue-service", args=["storage"])


def test_a_signed_in_user_reads_the_services_and_the_global_keys(org):
    response = client_for("mia").get(INDEX)
    assert response.status_code == 200
    body = response.json()
    assert {"prefix": "storage", "name": "Demo object storage"} in body["services"]
    assert {"prefix": "sts", "name": "AWS Security Token Service"} in body["services"]
    assert {"key": "aws:SourceIp", "type": "IPAddress", "families": ["Ip"]} in body["global_keys"]
    assert {"key": "aws:EpochTime", "type": "Date", "families": ["Date", "Numeric"]} in body["global_keys"]
    assert len(body["global_keys"]) == len(catalogue_data.GLOBAL_CONDITION_KEYS)
    assert body["operators"]["Ip"] == ["IpAddress", "NotIpAddress"]
    assert body["qualifiers"] == ["ForAllValues", "ForAnyValue"]
    assert body["access_levels"] == list(catalogue_data.ACCESS_LEVELS)
    assert body["placeholders"] == {"Partition": "aws", "Account": "123456789012"}


def test_a_service_answers_its_actions_resource_types_and_keys(org):
    body = client_for("henry").get(STORAGE).json()
    assert body["prefix"] == "storage"
    assert [action["name"] for action in body["actions"]] == sorted(a.name for a in catalogue_data.STORAGE.actions)
    listing = next(action for action in body["actions"] if action["name"] == "ListBucket")
    assert listing == {
        "name": "ListBucket",
        "access_level": "List",
        "resource_types": ["bucket"],
        "condition_keys": ["storage:prefix"],
        "description": "Demo: list the keys in a bucket",
    }
    assert body["resource_types"][0] == {
        "name": "bucket",
        "arn_pattern": "arn:${Partition}:storage:::${BucketName}",
        "condition_keys": ["aws:ResourceTag/${TagKey}"],
    }
    assert body["condition_keys"] == [{"key": "storage:prefix", "type": "String", "families": ["Arn", "String"]}]


def test_keys_another_service_owns_come_with_the_service_that_names_them(org):
    services.load_aws_catalogue(
        services=[
            catalogue_data.Service(
                "invoices",
                "Invoices",
                (catalogue_data.Action("SendInvoice", "Write", (), ("storage:prefix",)),),
                (),
                (),
            )
        ],
        source="test",
        actor=None,
    )
    body = client_for("mia").get(reverse("policies:catalogue-service", args=["invoices"])).json()
    assert body["condition_keys"] == [{"key": "storage:prefix", "type": "String", "families": ["Arn", "String"]}]


def test_anonymous_callers_are_sent_to_sign_in(org, client):
    for url in (INDEX, STORAGE):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_an_unknown_service_is_404_and_other_methods_405(org):
    mia = client_for("mia")
    assert mia.get(reverse("policies:catalogue-service", args=["nosuch"])).status_code == 404
    assert mia.post(INDEX).status_code == 405
    assert mia.post(STORAGE).status_code == 405


def test_an_unchanged_catalogue_answers_304_and_a_changed_one_a_new_etag(org):
    mia = client_for("mia")
    first = mia.get(STORAGE)
    assert first["Cache-Control"] == "private, no-cache"
    assert mia.get(STORAGE, headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert mia.get(INDEX)["ETag"] != first["ETag"]
    services.save_catalog_service(prefix="billing", name="Billing", actor=None)
    again = mia.get(STORAGE, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200 and again["ETag"] != first["ETag"]


def _grow(start: int, end: int) -> None:
    """More actions, resource types and keys in one service, and more services."""
    rows = range(start, end)
    grown = catalogue_data.Service(
        "grown",
        "Grown",
        tuple(catalogue_data.Action(f"Do{n}", "Write", (f"thing{n}",), (f"grown:key{n}",)) for n in rows),
        tuple(catalogue_data.ResourceType(f"thing{n}", f"arn:${{Partition}}:grown:::thing{n}/${{Name}}") for n in rows),
        tuple((f"grown:key{n}", "String") for n in rows),
    )
    others = [catalogue_data.Service(f"other{n}", f"Other {n}", (), (), ()) for n in rows]
    services.load_aws_catalogue(services=[grown, *others], source="test", actor=None)


def _counted(client, url: str) -> int:
    client.get(url)  # the session, loaded once at either size
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [INDEX, reverse("policies:catalogue-service", args=["grown"])])
def test_the_query_count_does_not_grow_with_the_catalogue(org, url):
    mia = client_for("mia")
    _grow(0, 2)
    small, small_size = _counted(mia, url), len(mia.get(url).content)
    _grow(2, 40)
    assert len(mia.get(url).content) > small_size + 1000  # 38 more services, or 38 more actions
    assert _counted(mia, url) == small
