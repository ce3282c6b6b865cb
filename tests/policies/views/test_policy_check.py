"""The policy check page on the article's organisation (`org`); outcomes reasoned from its policies."""

import csv
import io
import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import User
from identities.templatetags.console_tags import arn as wrapped_arn
from policies import authorization, services
from tests.clients import client_for
from tests.documents import allow

pytestmark = pytest.mark.django_db

URL = reverse("policies:policy-check")
PRODUCTION = "arn:aws:storage:::production-data"


def check(client, **fields):
    query = {"kind": "user", "resources": "*", "context": ""} | fields
    return client.get(f"{URL}?{urlencode(query)}")


def outcomes(response) -> list[tuple[str, str, str]]:
    return [(row.action, row.resource, row.decision.outcome.value) for row in response.context["rows"]]


def test_can_lucas_delete_the_production_bucket(org):
    response = check(client_for("iam-admin"), principal="lucas", actions="storage:DeleteBucket", resources=PRODUCTION)
    assert response.status_code == 200
    assert outcomes(response) == [("storage:DeleteBucket", PRODUCTION, "ExplicitDeny")]
    (found,) = response.context["rows"][0].statements
    assert (found["ref"].sid, found["ref"].statement_index) == ("KeepProduction", 1)
    assert "deciding-statement border border-2 border-danger" in response.content.decode()


def test_the_permalink_reproduces_the_result(org):
    client = client_for("iam-admin")
    posted = client.post(
        URL,
        {
            "kind": "user",
            "principal": "lucas",
            "actions": "storage:DeleteBucket",
            "resources": PRODUCTION,
            "context": "",
        },
    )
    assert posted.status_code == 302
    assert "csrfmiddlewaretoken" not in posted["Location"]
    again = client.get(posted["Location"])
    assert outcomes(again) == [("storage:DeleteBucket", PRODUCTION, "ExplicitDeny")]


def test_a_wildcard_expands_to_the_catalogues_actions(org):
    response = check(
        client_for("iam-admin"), principal="mia", actions="storage:Delete*", resources="arn:aws:storage:::dev-app"
    )
    assert [row[0] for row in outcomes(response)] == ["storage:DeleteBucket", "storage:DeleteObject"]
    assert {row[2] for row in outcomes(response)} == {"Allow"}


def test_page_and_api_give_the_same_decision(org):
    portal = identity_services.create_user(username="portal", actor=None)
    services.put_inline_policy(
        identity=portal, policy_name="Ask", document=allow("iam:SimulatePrincipalPolicy"), actor=None
    )
    key, secret = identity_services.create_access_key(user=portal, actor=None)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")
    cases = [
        ("lucas", "storage:DeleteBucket", PRODUCTION),
        ("mia", "storage:PutObject", f"{PRODUCTION}/x"),
        ("charles", "iam:ListAuditEvents", "*"),
    ]
    for name, action, resource in cases:
        page = outcomes(check(client_for("iam-admin"), principal=name, actions=action, resources=resource))[0][2]
        body = {"principal": f"arn:aws:iam::123456789012:user/{name}", "action": action, "resource": resource}
        answer = api.post("/api/v1/authorize", json.dumps(body), content_type="application/json").json()
        assert page == answer["decision"]


def test_a_user_without_the_simulate_permission_gets_403(org):
    assert check(client_for("mia"), principal="lucas", actions="storage:GetObject").status_code == 403


def test_a_service_user_checks_themselves_through_self_service(org):
    response = check(
        client_for("henry"), principal="henry", actions="iam:GetUser", resources="arn:aws:iam::123456789012:user/henry"
    )
    assert outcomes(response)[0][2] == "Allow"


def test_the_page_asks_for_the_condition_keys_the_policies_use(org):
    mia = User.objects.get(username="mia")
    services.put_inline_policy(
        identity=mia,
        policy_name="Office",
        document=allow("billing:Get*", "*", {"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}}),
        actor=None,
    )
    client = client_for("iam-admin")
    response = check(client, principal="mia", actions="billing:GetInvoice")
    assert "aws:SourceIp" in response.context["context_keys"]
    assert outcomes(response)[0][2] == "ImplicitDeny"
    assert response.context["rows"][0].decision.missing_context_keys == ("aws:SourceIp",)
    inside = check(client, principal="mia", actions="billing:GetInvoice", **{"ctx.aws:SourceIp": "10.1.2.3"})
    assert outcomes(inside)[0][2] == "Allow"


def test_a_group_is_checked_with_its_policies_alone(org):
    response = check(
        client_for("iam-admin"),
        kind="group",
        principal="Operations",
        actions="storage:DeleteBucket",
        resources="arn:aws:storage:::scratch",
    )
    assert outcomes(response)[0][2] == "Allow"


def test_pasted_policies_go_by_post_and_need_simulate_custom(org):
    documents = json.dumps(allow("storage:GetObject"))
    fields = {
        "kind": "custom",
        "principal": "",
        "actions": "storage:GetObject\nstorage:PutObject",
        "resources": "*",
        "context": "",
        "custom_policies": documents,
    }
    response = client_for("iam-admin").post(URL, fields)
    assert response.status_code == 200
    assert [row[2] for row in outcomes(response)] == ["Allow", "ImplicitDeny"]
    assert client_for("mia").post(URL, fields).status_code == 403


def test_a_pasted_boundary_narrows_the_principal(org):
    fields = {
        "kind": "user",
        "principal": "lucas",
        "actions": "storage:ListBuckets",
        "resources": "*",
        "context": "",
        "permission_boundary": json.dumps(allow("storage:GetObject")),
    }
    response = client_for("iam-admin").post(URL, fields)
    assert outcomes(response)[0][2] == "ImplicitDeny"
    assert response.context["rows"][0].decision.blocking_layers == ("boundary",)


def test_a_pasted_resource_policy_can_grant(org):
    henry = "arn:aws:iam::123456789012:user/henry"
    resource_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": henry}, "Action": "storage:GetObject", "Resource": "*"}],
    }
    fields = {
        "kind": "user",
        "principal": "henry",
        "actions": "storage:GetObject",
        "resources": "arn:aws:storage:::shared/doc",
        "context": "",
        "resource_policy": json.dumps(resource_policy),
    }
    response = client_for("iam-admin").post(URL, fields)
    assert outcomes(response)[0][2] == "Allow"


def test_results_export_as_json_and_csv(org):
    client = client_for("iam-admin")
    query = {
        "kind": "user",
        "principal": "lucas",
        "actions": "storage:DeleteBucket",
        "resources": PRODUCTION,
        "context": "",
    }
    exported = client.get(f"{URL}?{urlencode(query)}&format=json").json()
    assert exported[0]["decision"] == "ExplicitDeny"
    assert "KeepProduction" in exported[0]["deciding"][0]
    rows = list(csv.reader(io.StringIO(client.get(f"{URL}?{urlencode(query)}&format=csv").content.decode())))
    assert rows[0][:3] == ["action", "resource", "decision"]
    assert rows[1][:3] == ["storage:DeleteBucket", PRODUCTION, "ExplicitDeny"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"principal": "nobody", "actions": "s:A"}, "No such principal."),
        ({"principal": "mia", "actions": ""}, "This field is required"),
        ({"principal": "", "actions": "s:A"}, "Choose whom to check"),
        ({"principal": "mia", "actions": "s:A", "context": "no-equals"}, "is not key=value"),
    ],
)
def test_bad_input_is_shown_at_the_field(org, fields, message):
    response = check(client_for("iam-admin"), **fields)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_deciding_statements_link_to_their_policy_and_come_before_guardrails(org):
    from policies.models import ManagedPolicy

    response = check(
        client_for("iam-admin"),
        principal="lucas",
        actions="storage:DeleteBucket",
        resources="arn:aws:storage:::scratch",
    )
    found = response.context["rows"][0].statements
    assert [item["ref"].layer for item in found] == ["identity", "guardrails[0]"]
    policy = ManagedPolicy.objects.get(policy_name="OperationsStorageAccess")
    assert found[0]["url"] == reverse("admin:policies_managedpolicy_change", args=[policy.pk])
    assert found[1]["url"].startswith("/admin/policies/guardrail/")


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_exported_actions_and_resources_never_start_a_formula(root_client, mia, start):
    query = {
        "kind": "user",
        "principal": "mia",
        "actions": f"{start}cmd|' /C calc'!A0",
        "resources": f'{start}HYPERLINK("http://attacker.invalid")',
        "context": "",
    }
    audit_before = AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count()
    response = root_client.get(f"{URL}?{urlencode(query)}&format=csv")
    (header, row) = csv.reader(io.StringIO(response.content.decode(), newline=""))
    assert header[:3] == ["action", "resource", "decision"]
    assert row[:3] == [f"'{query['actions']}", f"'{query['resources']}", "ImplicitDeny"]
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count() == audit_before


def explanation_of(response, index=0):
    return response.context["checked"][index][1]


def test_an_implicit_deny_says_whose_policies_were_considered_in_words(org):
    response = check(
        client_for("iam-admin"), principal="charles", actions="storage:PutObject", resources=f"{PRODUCTION}/x"
    )
    why = explanation_of(response)
    assert why.headline == f"Charles may not perform storage:PutObject on {PRODUCTION}/x."
    (blocked,) = why.blocked
    assert blocked.sentence == f"No policy of charles allows storage:PutObject on {PRODUCTION}/x."
    considered = {source.words for source in blocked.considered}
    assert "policy DevelopersStorageAccess (version 1)" in considered
    developers = next(s for s in blocked.considered if s.words.startswith("policy DevelopersStorageAccess"))
    assert developers.url == reverse("policies:policy-detail", args=[org.policies["DevelopersStorageAccess"].pk])
    page = response.content.decode()
    assert "guardrails[0]" not in page and "No statement allowed this in" not in page
    assert f'href="{developers.url}"' in page


def test_the_near_misses_name_the_statement_and_the_part_that_missed(org):
    response = check(
        client_for("iam-admin"), principal="charles", actions="storage:PutObject", resources=f"{PRODUCTION}/x"
    )
    misses = [
        (r.ref.sid, r.ref.statement_index, r.miss.missed, r.miss.resources)
        for r in explanation_of(response).near_misses
    ]
    assert misses == [("DevBuckets", 0, ("resource",), ("arn:aws:storage:::dev-*", "arn:aws:storage:::dev-*/*"))]
    page = response.content.decode()
    assert f'class="missed-resource">only on <code class="arn">{wrapped_arn("arn:aws:storage:::dev-*")}</code>' in page


def test_a_condition_near_miss_names_its_key_and_the_value_given(org):
    services.put_inline_policy(
        identity=org.henry,
        policy_name="FromTheOffice",
        document=allow("storage:GetObject", "*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, Sid="Office"),
        actor=None,
    )
    response = check(
        client_for("iam-admin"),
        principal="henry",
        actions="storage:GetObject",
        resources=f"{PRODUCTION}/x",
        **{"ctx.aws:SourceIp": "192.0.2.7"},
    )
    (reason,) = explanation_of(response).near_misses
    assert reason.source.words == "inline policy FromTheOffice of user henry"
    assert reason.source.url == reverse("identities:user-detail", args=[org.henry.pk])
    ((key, operator, given),) = [(c.key, c.operator, c.given) for c in reason.miss.conditions]
    assert (key, operator, given) == ("aws:SourceIp", "IpAddress", ("192.0.2.7",))
    assert "the request gave <code>192.0.2.7</code>" in response.content.decode()


def test_an_allow_and_an_explicit_deny_are_said_in_words_with_the_policy_linked(org):
    client = client_for("iam-admin")
    allowed = explanation_of(check(client, principal="mia", actions="storage:GetObject", resources=f"{PRODUCTION}/x"))
    assert allowed.headline == f"Mia may perform storage:GetObject on {PRODUCTION}/x."
    assert {(r.ref.sid, r.source.words) for r in allowed.deciding} == {
        ("AllowAll", "guardrail FullAccess"),
        ("ReadEverything", "policy DevelopersStorageAccess (version 1)"),
    }
    assert allowed.near_misses == ()
    denied = explanation_of(check(client, principal="lucas", actions="storage:DeleteBucket", resources=PRODUCTION))
    assert denied.headline.startswith("Lucas may not perform storage:DeleteBucket on")
    assert "a Deny statement refuses it" in denied.headline


def test_the_page_offers_expand_all_over_the_results(org):
    response = check(client_for("iam-admin"), principal="mia", actions="storage:Get*", resources="*")
    assert 'data-expand-all="#results"' in response.content.decode()


def test_the_json_export_lists_the_near_misses(org):
    query = {"kind": "user", "principal": "charles", "actions": "storage:PutObject", "resources": f"{PRODUCTION}/x"}
    records = json.loads(client_for("iam-admin").get(f"{URL}?{urlencode(query | {'context': ''})}&format=json").content)
    assert [record["near_misses"] for record in records] == [
        [f"{org.policies['DevelopersStorageAccess'].arn} v1 statement 0 (DevBuckets) missed resource"]
    ]


def test_only_the_explained_decision_carries_near_misses(org):
    layers = authorization.layers_of(org.users["charles"])
    plain = authorization.decide(layers, "storage:PutObject", f"{PRODUCTION}/x")
    explained = authorization.decide(layers, "storage:PutObject", f"{PRODUCTION}/x", explain=True)
    assert (plain.outcome.value, plain.near_misses) == ("ImplicitDeny", ())
    assert [miss.ref.sid for miss in explained.near_misses] == ["DevBuckets"]


def test_a_refused_row_of_ones_own_offers_to_request_it(org):
    site = "arn:aws:storage:::public-site/index.html"
    own = check(client_for("henry"), principal="henry", actions="storage:PutObject\nstorage:GetObject", resources=site)
    assert outcomes(own) == [("storage:PutObject", site, "ImplicitDeny"), ("storage:GetObject", site, "ImplicitDeny")]
    page = own.content.decode()
    assert page.count("Request this access") == 2
    assert "/access-requests/?action=storage%3APutObject&amp;resource=arn%3Aaws%3Astorage%3A%3A%3Apublic-site" in page
    others = check(client_for("iam-admin"), principal="henry", actions="storage:PutObject", resources=site)
    assert "Request this access" not in others.content.decode()  # one asks for oneself only
