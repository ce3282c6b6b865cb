"""Deeply nested JSON from a client is refused with a 4xx or the form's own error, never a 5xx.

Every place that takes JSON is tried at the limit (64 levels: accepted, or refused for its
other faults), one level past it and at 100,000 levels, with arrays, objects and a run of
`[` that never closes; each refusal must leave the database without a new row.
"""

import json
import urllib.parse

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from identities import services as identity_services
from identities.models import Role, User
from policies import services
from policies.models import CatalogService, Guardrail, InlinePolicy, ManagedPolicy
from tests import factories
from tests.admin_forms import admin_form_data
from tests.documents import allow

pytestmark = pytest.mark.django_db

LIMIT = 64
TOO_DEEP = f"nested deeper than {LIMIT} levels"


def folded(text: str) -> str:
    """Refusals say it as a sentence ("Nested deeper ..."): compare without regard to case."""
    return text.lower()


HTMX = {"HTTP_HX_REQUEST": "true"}


def arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def unterminated(depth: int) -> str:
    return "[" * depth


SHAPES = {"arrays": arrays, "objects": objects, "unterminated": unterminated}
CASES = [(shape, depth) for shape in SHAPES for depth in (LIMIT, LIMIT + 1, 100_000)]
deep = pytest.mark.parametrize(("shape", "depth"), CASES, ids=[f"{shape}-{depth}" for shape, depth in CASES])
# Pages render the text they refuse, so they leave the largest (100,000 objects, 500 kB) to the API and the engine.
PAGE_CASES = [case for case in CASES if case not in {("objects", 100_000), ("unterminated", LIMIT + 1)}]
deep_page = pytest.mark.parametrize(
    ("shape", "depth"), PAGE_CASES, ids=[f"{shape}-{depth}" for shape, depth in PAGE_CASES]
)


def text_of(shape: str, depth: int) -> str:
    return SHAPES[shape](depth)


def row_counts() -> dict[str, int]:
    """Rows of every table of both apps: a refused request adds none."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in ("identities", "policies")
    }


# The decision API


@pytest.fixture
def api(mia):
    key, secret = identity_services.create_access_key(user=mia, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


def api_post(client, url: str, text: str):
    return client.post(url, text, content_type="application/json")


def api_error(response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def at_limit_error(shape: str) -> str:
    """What a body nested exactly to the limit is refused for: its shape, not its depth."""
    return {"arrays": "MalformedRequest", "objects": "MissingParameter", "unterminated": "MalformedJSON"}[shape]


@deep
@pytest.mark.parametrize("path", ["/api/v1/authorize", "/api/v1/assume-role"])
def test_a_deep_body_is_400(api, path, shape, depth):
    before = row_counts()
    status, code, message = api_error(api_post(api, path, text_of(shape, depth)))
    if depth > LIMIT:
        assert (status, code) == (400, "MalformedRequest")
        assert message.startswith(f"The body is {TOO_DEEP} (line 1, column ")
    else:
        assert (status, code) == (400, at_limit_error(shape))
        assert TOO_DEEP not in message
    assert row_counts() == before


@pytest.mark.parametrize("depth", [LIMIT, LIMIT + 1, 100_000])
def test_a_deep_context_value_inside_a_request_is_400(api, mia, depth):
    # Two levels are the request object and its context.
    head = f'{{"principal": "{mia.arn}", "action": "storage:GetObject", "resource": "*", "context": {{"k": '
    before = row_counts()
    status, code, message = api_error(api_post(api, "/api/v1/authorize", head + arrays(depth - 2) + "}}"))
    assert (status, code) == (400, "MalformedRequest")
    if depth > LIMIT:
        assert message == f"The body is {TOO_DEEP} (line 1, column {len(head) + LIMIT - 1})."
    else:
        assert message == "the request: the value of k must be a string or strings."
    assert row_counts() == before


@deep
def test_a_deep_session_policy_text_is_400(api, shape, depth):
    role = factories.RoleFactory(role_name="Deployer")
    body = {"RoleArn": role.arn, "RoleSessionName": "s1", "Policy": text_of(shape, depth)}
    before = row_counts()
    status, code, message = api_error(api_post(api, "/api/v1/assume-role", json.dumps(body)))
    assert (status, code) == (400, "MalformedPolicyDocument")
    assert (TOO_DEEP in message) is (depth > LIMIT)
    assert row_counts() == before


def test_a_session_policy_text_with_nul_is_400(api):
    role = factories.RoleFactory(role_name="Deployer")
    policy = json.dumps(allow("storage:GetObject", "arn:aws:storage:::a\u0000b"))
    body = {"RoleArn": role.arn, "RoleSessionName": "s1", "Policy": policy}
    before = row_counts()
    status, code, message = api_error(api_post(api, "/api/v1/assume-role", json.dumps(body)))
    assert (status, code, message) == (400, "MalformedPolicyDocument", "Policy may not contain NUL characters.")
    assert row_counts() == before


def test_a_deep_session_policy_object_is_400(api):
    role = factories.RoleFactory(role_name="Deployer")
    head = f'{{"RoleArn": "{role.arn}", "RoleSessionName": "s1", "Policy": {{"Statement": '
    before = row_counts()
    status, code, message = api_error(api_post(api, "/api/v1/assume-role", head + arrays(100_000) + "}}"))
    assert (status, code) == (400, "MalformedRequest")
    assert TOO_DEEP in message
    assert row_counts() == before


# The console: the policy editor, inline policies, roles, tags and the policy check


@pytest.fixture
def customer_policy(root):
    policy, _ = services.create_policy(
        policy_name="Storage", path="/", description="", document=allow("storage:GetObject"), actor=None
    )
    return policy


@deep_page
def test_the_editor_refuses_a_deep_new_policy(root_client, shape, depth):
    before = row_counts()
    response = root_client.post(
        reverse("policies:policy-create"),
        {"policy_name": "Deep", "path": "/", "description": "", "document": text_of(shape, depth)},
    )
    assert response.status_code == 400
    assert (TOO_DEEP in folded(response.content.decode())) is (depth > LIMIT)
    assert row_counts() == before


@deep_page
def test_the_editor_refuses_a_deep_new_version(root_client, customer_policy, shape, depth):
    before = row_counts()
    response = root_client.post(
        reverse("policies:policy-version-create", args=[customer_policy.pk]),
        {"document": text_of(shape, depth), "set_as_default": "on"},
    )
    assert response.status_code == 400
    assert (TOO_DEEP in folded(response.content.decode())) is (depth > LIMIT)
    assert row_counts() == before


@deep_page
def test_validation_as_you_type_reports_deep_nesting_at_its_place(root_client, shape, depth):
    response = root_client.post(reverse("policies:policy-validate"), {"document": text_of(shape, depth)})
    assert response.status_code == 200
    codes = [finding.code for finding in response.context["findings"]]
    if depth > LIMIT:
        (finding,) = response.context["findings"]
        assert (finding.code, finding.message, finding.line) == ("TOO_DEEP", TOO_DEEP, 1)
        assert finding.column == {"objects": 5 * LIMIT + 1}.get(shape, LIMIT + 1)
    else:
        assert "TOO_DEEP" not in codes and codes


@deep_page
def test_an_inline_policy_nested_too_deep_is_refused(root_client, mia, shape, depth):
    before = row_counts()
    response = root_client.post(
        reverse("policies:identity-inline-put", args=["user", mia.pk]),
        {"policy_name": "Deep", "document": text_of(shape, depth)},
        **HTMX,
    )
    assert response.status_code == 200
    assert (TOO_DEEP in folded(response.content.decode())) is (depth > LIMIT)
    assert row_counts() == before


def test_without_htmx_a_deep_inline_policy_is_a_message_after_the_redirect(root_client, mia):
    before = row_counts()
    response = root_client.post(
        reverse("policies:identity-inline-put", args=["user", mia.pk]),
        {"policy_name": "Deep", "document": arrays(100_000)},
    )
    assert response.status_code == 302
    assert TOO_DEEP in folded(" ".join(str(message) for message in response.wsgi_request._messages))
    assert row_counts() == before


def role_fields(trust_policy: str, tags: str = "") -> dict:
    return {
        "role_name": "Deep",
        "path": "/",
        "description": "",
        "max_session_duration": "3600",
        "tags": tags,
        "trust_policy": trust_policy,
    }


@deep_page
def test_creating_a_role_refuses_a_trust_policy_nested_past_the_limit(root_client, shape, depth):
    before = row_counts()
    response = root_client.post(reverse("identities:role-create"), role_fields(text_of(shape, depth)))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["trust_policy"]
    assert (TOO_DEEP in folded(response.content.decode())) is (depth > LIMIT)
    assert row_counts() == before


@deep_page
def test_editing_a_role_refuses_a_trust_policy_nested_past_the_limit(root_client, shape, depth):
    role = identity_services.create_role(role_name="Deep", trust_policy={}, actor=None)
    before = row_counts()
    response = root_client.post(reverse("identities:role-edit", args=[role.pk]), role_fields(text_of(shape, depth)))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["trust_policy"]
    assert (TOO_DEEP in folded(response.content.decode())) is (depth > LIMIT)
    role.refresh_from_db()
    assert (role.trust_policy, row_counts()) == ({}, before)


@pytest.mark.parametrize("shape", SHAPES)
def test_tags_that_look_like_deep_json_are_only_text(root_client, mia, shape):
    tags = f"team={text_of(shape, 100_000)}"
    before = row_counts()
    created = root_client.post(
        reverse("identities:user-create"), {"username": "ivy", "path": "/", "is_active": "on", "tags": tags}
    )
    assert created.status_code == 200
    assert "tags" in created.context["form"].errors
    tagged = root_client.post(reverse("identities:user-tags", args=[mia.pk]), {"tags": tags}, **HTMX)
    assert tagged.status_code == 200
    mia.refresh_from_db()
    assert (mia.tags, row_counts()) == ({}, before)


def check_fields(**fields) -> dict:
    return {"kind": "custom", "actions": "storage:GetObject", "resources": "*", "context": ""} | fields


@deep_page
@pytest.mark.parametrize("field", ["custom_policies", "resource_policy", "permission_boundary"])
def test_the_policy_check_refuses_deep_pasted_documents(root_client, field, shape, depth):
    before = row_counts()
    response = root_client.post(reverse("policies:policy-check"), check_fields(**{field: text_of(shape, depth)}))
    assert response.status_code == 200
    errors = response.context["pasted"].errors
    assert list(errors) == [field]
    assert (TOO_DEEP in folded(" ".join(errors[field]))) is (depth > LIMIT)
    assert row_counts() == before


def test_the_policy_check_takes_deep_looking_context_values_as_text(root_client):
    context = f"aws:SourceIp={arrays(100_000)}\nteam={unterminated(100_000)}"
    documents = json.dumps([allow("storage:GetObject")])
    response = root_client.post(
        reverse("policies:policy-check"), check_fields(context=context, custom_policies=documents)
    )
    assert response.status_code == 200
    assert [row.decision.outcome.value for row in response.context["rows"]] == ["Allow"]


# The Django admin


def admin_url(model, *args) -> str:
    action = "change" if args else "add"
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def assert_refused(response, field: str, depth: int) -> None:
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors
    assert (TOO_DEEP in folded(" ".join(errors[field]))) is (depth > LIMIT)


def assert_tags_refused(response) -> None:
    assert response.status_code == 200
    assert "tags" in response.context["adminform"].form.errors


@pytest.mark.parametrize("shape", SHAPES)
def test_the_admin_takes_deep_looking_tags_on_a_new_user_as_text(root_client, shape):
    # Tags are key=value lines in the admin as in the console: a value that looks like deep
    # JSON is only text, refused for its length, never decoded.
    fields = {"username": "ivy", "path": "/", "tags": f"team={text_of(shape, 100_000)}", "is_active": "on"}
    before = row_counts()
    response = root_client.post(admin_url(User), admin_form_data(root_client, admin_url(User), fields))
    assert_tags_refused(response)
    assert row_counts() == before


@pytest.mark.parametrize("shape", SHAPES)
def test_the_admin_takes_deep_looking_tags_on_a_user_as_text(root_client, mia, shape):
    url = admin_url(User, mia.pk)
    fields = {"username": "mia", "path": "/", "tags": f"team={text_of(shape, 100_000)}", "is_active": "on"}
    before = row_counts()
    response = root_client.post(url, admin_form_data(root_client, url, fields))
    assert_tags_refused(response)
    mia.refresh_from_db()
    assert (mia.tags, row_counts()) == ({}, before)


@deep_page
@pytest.mark.parametrize("field", ["trust_policy"])
def test_the_admin_refuses_json_nested_past_the_limit_on_a_new_role(root_client, field, shape, depth):
    fields = role_fields("{}") | {field: text_of(shape, depth)}
    before = row_counts()
    response = root_client.post(admin_url(Role), admin_form_data(root_client, admin_url(Role), fields))
    assert_refused(response, field, depth)
    assert row_counts() == before


@deep_page
@pytest.mark.parametrize("field", ["trust_policy"])
def test_the_admin_refuses_json_nested_past_the_limit_on_a_role(root_client, field, shape, depth):
    role = identity_services.create_role(role_name="Deep", trust_policy={}, actor=None)
    url = admin_url(Role, role.pk)
    fields = role_fields("{}") | {field: text_of(shape, depth)}
    before = row_counts()
    response = root_client.post(url, admin_form_data(root_client, url, fields))
    assert_refused(response, field, depth)
    role.refresh_from_db()
    assert (role.trust_policy, role.tags, row_counts()) == ({}, {}, before)


@deep_page
def test_the_admin_refuses_a_deep_managed_policy(root_client, shape, depth):
    fields = {"policy_name": "Deep", "path": "/", "description": "", "document": text_of(shape, depth)}
    before = row_counts()
    response = root_client.post(
        admin_url(ManagedPolicy), admin_form_data(root_client, admin_url(ManagedPolicy), fields)
    )
    assert_refused(response, "document", depth)
    assert row_counts() == before


@deep_page
def test_the_admin_refuses_a_deep_new_version(root_client, customer_policy, shape, depth):
    url = admin_url(ManagedPolicy, customer_policy.pk)
    fields = {"policy_name": "Storage", "path": "/", "description": "", "new_version": text_of(shape, depth)}
    before = row_counts()
    response = root_client.post(url, admin_form_data(root_client, url, fields | {"set_as_default": "on"}))
    assert_refused(response, "new_version", depth)
    assert row_counts() == before


@deep_page
def test_the_admin_refuses_a_deep_inline_policy(root_client, mia, shape, depth):
    url = admin_url(User, mia.pk)
    fields = {"username": "mia", "path": "/", "tags": "", "is_active": "on"}
    data = admin_form_data(root_client, url, fields)
    page = root_client.get(url).context["inline_admin_formsets"]
    prefix = next(inline.formset.prefix for inline in page if inline.formset.model is InlinePolicy)
    data |= {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-0-policy_name": "Deep",
        f"{prefix}-0-document": text_of(shape, depth),
    }
    before = row_counts()
    response = root_client.post(url, data)
    assert response.status_code == 200
    (formset,) = [
        inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == prefix
    ]
    errors = " ".join(" ".join(messages) for form in formset.forms for messages in form.errors.values())
    assert errors and (TOO_DEEP in folded(errors)) is (depth > LIMIT)
    assert (InlinePolicy.objects.count(), row_counts()) == (0, before)


@deep_page
def test_the_admin_refuses_a_deep_guardrail(root_client, shape, depth):
    fields = {"guardrail_name": "Deep", "description": "", "level": "0", "document": text_of(shape, depth)}
    before = row_counts()
    response = root_client.post(admin_url(Guardrail), admin_form_data(root_client, admin_url(Guardrail), fields))
    assert_refused(response, "document", depth)
    assert row_counts() == before


@deep
@pytest.mark.parametrize("field", ["resource_types", "condition_keys"])
def test_the_admin_refuses_catalogue_lists_nested_past_the_limit(root_client, field, shape, depth):
    url = admin_url(CatalogService)
    row = {"name": "GetThing", "access_level": "Read", "resource_types": "[]", "condition_keys": "[]"}
    fields = {"prefix": "things", "name": "Things"}
    data = admin_form_data(root_client, url, fields, {"catalogaction": [row | {field: text_of(shape, depth)}]})
    before = row_counts()
    response = root_client.post(url, data)
    if depth == LIMIT and shape != "unterminated":
        # The catalogue keeps any JSON list or object here.
        assert response.status_code == 302
        saved = CatalogService.objects.get(prefix="things").actions.get()
        assert getattr(saved, field) == json.loads(text_of(shape, depth))
        return
    assert response.status_code == 200
    (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert (TOO_DEEP in folded(" ".join(formset.forms[0].errors[field]))) is (depth > LIMIT)
    assert row_counts() == before


def test_every_json_field_of_the_admin_refuses_deep_text(root):
    """Each JSON form field of every admin form and inline form (policy inlines included) is bounded."""
    from django import forms
    from django.contrib import admin
    from django.test import RequestFactory

    from identities.forms import BoundedJSONField

    request = RequestFactory().get("/admin/")
    request.user = root
    json_fields = []
    for model, model_admin in admin.site._registry.items():
        inlines = [*model_admin.inlines, *getattr(model_admin, "policy_inlines", ())]
        forms_of_page = [model_admin.get_form(request)]
        forms_of_page += [inline(model, admin.site).get_formset(request).form for inline in inlines]
        for form in forms_of_page:
            for name, field in form.base_fields.items():
                if isinstance(field, forms.JSONField):
                    json_fields.append((form._meta.model.__name__, name, type(field)))
    assert {(model, name) for model, name, _ in json_fields} == {
        ("Role", "trust_policy"),
        ("CatalogAction", "resource_types"),
        ("CatalogAction", "condition_keys"),
    }
    assert [item for item in json_fields if not issubclass(item[2], BoundedJSONField)] == []


# The import upload


def upload(client, text: str):
    return client.post(reverse("policies:import"), {"file": SimpleUploadedFile("deep.json", text.encode())})


@deep
def test_a_deep_import_file_is_refused(root_client, shape, depth):
    before = row_counts()
    response = upload(root_client, text_of(shape, depth))
    assert response.status_code == 200
    if shape == "objects" and depth == LIMIT:
        # An object of unknown keys is an account with nothing in it: the preview plans nothing.
        assert response.context["plan"].is_empty
    else:
        assert (TOO_DEEP in folded(" ".join(response.context["problems"]))) is (depth > LIMIT)
    assert row_counts() == before


@deep
@pytest.mark.parametrize("encoded", [False, True], ids=["object", "url-encoded-text"])
def test_a_deep_document_inside_an_import_file_is_refused(root_client, shape, depth, encoded):
    # Inside the file, three levels are taken by the file's object, its list and the role.
    document = text_of(shape, depth if encoded else depth - 3)
    value = json.dumps(urllib.parse.quote(document)) if encoded else document
    role = (
        '{"RoleName": "Deep", "Path": "/", "RoleId": "AROADEEP", "Arn": "arn:aws:iam::123456789012:role/Deep", '
        f'"AssumeRolePolicyDocument": {value}}}'
    )
    text = f'{{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [{role}], "Policies": []}}'
    before = row_counts()
    response = upload(root_client, text)
    assert response.status_code == 200
    problems = " ".join(response.context["problems"])
    assert problems and (TOO_DEEP in folded(problems)) is (depth > LIMIT)
    assert row_counts() == before
