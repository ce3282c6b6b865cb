"""The guardrails pages of policies/views/guardrails.py: the levels and one guardrail with what it denies."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities.models import User
from policies import services
from policies.models import Guardrail
from policies.queries import guardrail_urls
from tests.clients import client_for
from tests.documents import allow, document, statement

pytestmark = pytest.mark.django_db

NO_DELETES_OUTSIDE_THE_OFFICE = document(
    statement(
        "Deny",
        ["storage:DeleteBucket", "storage:DeleteObject"],
        "arn:aws:storage:::production/*",
        {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}},
        Sid="OfficeOnly",
    ),
    {"Effect": "Deny", "NotAction": ["storage:Get*", "storage:List*"], "Resource": "arn:aws:storage:::archive/*"},
    {"Effect": "Deny", "Action": "storage:PutObject", "NotResource": "arn:aws:storage:::scratch/*"},
)


@pytest.fixture
def office(org):
    guardrail, _ = services.save_guardrail(
        guardrail_name="OfficeOnly", document=NO_DELETES_OUTSIDE_THE_OFFICE, level=1, actor=None
    )
    return guardrail


def url(name: str, *args) -> str:
    return reverse(f"policies:{name}", args=args)


def test_the_list_shows_each_level_with_its_guardrails_and_what_they_deny(office):
    response = client_for("iam-admin").get(url("guardrail-list"))
    assert response.status_code == 200
    levels = [
        (level.number, [reading.guardrail.guardrail_name for reading in level.guardrails], level.allows)
        for level in response.context["levels"]
    ]
    # The default allow-all sits beside the deny, as AWS attaches FullAWSAccess.
    assert levels == [(1, ["FullAccess", "OfficeOnly"], True)]
    body = response.content.decode()
    assert f'href="{url("guardrail-detail", office.pk)}"' in body
    assert "<code>storage:DeleteBucket, storage:DeleteObject</code>" in body


def test_the_page_says_what_each_deny_statement_denies(office):
    response = client_for("iam-admin").get(url("guardrail-detail", office.pk))
    first, second, third = response.context["reading"].denies
    assert first.sid == "OfficeOnly"
    assert first.actions == "storage:DeleteBucket, storage:DeleteObject"
    assert first.resources == "arn:aws:storage:::production/*"
    assert first.conditions == ("aws:SourceIp NotIpAddress 10.0.0.0/8 or 192.168.0.0/16",)
    assert (second.actions, second.resources) == (
        "every action except storage:Get*, storage:List*",
        "arn:aws:storage:::archive/*",
    )
    assert (third.actions, third.resources, third.conditions) == (
        "storage:PutObject",
        "every resource except arn:aws:storage:::scratch/*",
        (),
    )
    assert response.context["reading"].allows is False
    body = response.content.decode()
    assert "Edit in the admin" in body and "Level</dt><dd" in body.replace("\n", "")


def test_a_user_without_list_guardrails_gets_403_and_no_link(office):
    client = client_for("mia")
    assert client.get(url("guardrail-list")).status_code == 403
    # No link; the home's list of her own refusals may name the page she was refused.
    assert f'href="{url("guardrail-list")}"' not in client.get(reverse("home")).content.decode()
    assert f'href="{url("guardrail-list")}"' in client_for("iam-admin").get(reverse("home")).content.decode()


def test_a_user_who_may_not_read_the_guardrail_gets_404(office):
    assert client_for("mia").get(url("guardrail-detail", office.pk)).status_code == 404
    assert client_for("iam-admin").get(url("guardrail-detail", office.pk + 1000)).status_code == 404


def test_a_reader_who_may_not_change_it_is_offered_no_edit(office):
    henry = User.objects.get(username="henry")
    services.put_inline_policy(
        identity=henry,
        policy_name="ReadGuardrails",
        document=allow(["iam:ListGuardrails", "iam:GetGuardrail"]),
        actor=None,
    )
    response = client_for("henry").get(url("guardrail-detail", office.pk))
    assert response.status_code == 200 and "Edit in the admin" not in response.content.decode()


def test_the_pages_take_no_other_method(office):
    client = client_for("iam-admin")
    assert client.post(url("guardrail-list")).status_code == 405
    assert client.post(url("guardrail-detail", office.pk)).status_code == 405


def test_the_list_costs_the_same_queries_at_3_and_30_guardrails(org):
    client = client_for("iam-admin")
    counts = []
    for size in (3, 30):
        for index in range(Guardrail.objects.count(), size):
            services.save_guardrail(
                guardrail_name=f"Fence{index}",
                document=document(statement("Deny", f"storage:Delete{index}")),
                level=1,
                actor=None,
            )
        client.get(url("guardrail-list"))
        with CaptureQueriesContext(connection) as captured:
            client.get(url("guardrail-list"))
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_guardrail_page_costs_the_same_queries_at_3_and_30_guardrails(office):
    client = client_for("iam-admin")
    counts = []
    for size in (3, 30):
        for index in range(Guardrail.objects.count(), size):
            fence = document(statement("Deny", f"storage:Delete{index}"))
            services.save_guardrail(guardrail_name=f"Fence{index}", document=fence, actor=None)
        client.get(url("guardrail-detail", office.pk))
        with CaptureQueriesContext(connection) as captured:
            client.get(url("guardrail-detail", office.pk))
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_pages_of_guardrails_named_by_arn(office):
    arns = [office.arn, "arn:aws:iam::123456789012:guardrail/Gone", "arn:aws:iam::123456789012:user/mia"]
    assert guardrail_urls(arns) == {office.arn: f"/guardrails/{office.pk}/"}
