"""The console import: upload, dry-run preview, confirm; governed, and kept server-side between steps."""

import json
import re
from hashlib import sha256
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Group, User
from policies import services
from policies.models import ManagedPolicy
from policies.views.imports import PENDING_IMPORT
from tests.documents import allow

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "aws-authorization-details.json"
UPLOAD, CONFIRM = reverse("policies:import"), reverse("policies:import-confirm")


@pytest.fixture(autouse=True)
def _builtins(builtins):
    """The built-in policies the sample attaches exist, as after migrate."""


def client_for(*actions: str) -> Client:
    user = identity_services.create_user(username="importer", actor=None)
    if actions:
        services.put_inline_policy(identity=user, policy_name="Import", document=allow(list(actions)), actor=None)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def importer():
    return client_for("iam:ImportAccountAuthorizationDetails", "iam:ListAuditEvents")


def upload(client, content: bytes = b"", name="account.json"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content or SAMPLE.read_bytes())})


def test_the_preview_shows_the_plan_and_writes_nothing(importer):
    events = AuditEvent.objects.count()
    response = upload(importer)
    assert response.status_code == 200
    page = response.content.decode()
    assert "create user arn:aws:iam::123456789012:user/division/mia" in page
    assert response.context["plan"].summary["user"]["create"] == 4
    assert not User.objects.filter(username="mia").exists()
    assert AuditEvent.objects.count() == events


def test_the_confirm_button_counts_what_the_summary_counts(importer):
    response = upload(importer)
    plan = response.context["plan"]
    changed = sum(counts["create"] + counts["update"] for counts in plan.summary.values())
    assert len(plan.steps) > changed  # one user's creation is several steps
    assert f">Import {changed} changes</button>" in response.content.decode()


def test_confirming_imports_the_kept_file_and_records_who_ran_it(importer):
    upload(importer)
    digest = importer.session[PENDING_IMPORT]["digest"]
    response = importer.post(CONFIRM, {"digest": digest})
    assert response.status_code == 302
    assert response["Location"] == reverse("identities:audit-list") + "?event=ImportAccountAuthorizationDetails"
    assert Group.objects.filter(group_name="Developers").exists()
    event = AuditEvent.objects.get(event_name="ImportAccountAuthorizationDetails")
    assert event.actor_arn.endswith(":user/importer") and event.after["file"] == "account.json"
    assert PENDING_IMPORT not in importer.session


def test_a_digest_other_than_the_previewed_file_imports_nothing(importer):
    upload(importer)
    response = importer.post(CONFIRM, {"digest": sha256(b"another file").hexdigest()}, follow=True)
    assert "no longer waiting for confirmation" in response.content.decode()
    assert not User.objects.filter(username="mia").exists()


def test_confirming_without_a_preview_imports_nothing(importer):
    response = importer.post(CONFIRM, {"digest": sha256(SAMPLE.read_bytes()).hexdigest()})
    assert response.status_code == 302 and response["Location"] == UPLOAD
    assert not User.objects.filter(username="mia").exists()


def test_a_file_from_another_account_is_refused_with_both_ids(importer):
    data = json.loads(SAMPLE.read_text())
    for user in data["UserDetailList"]:
        user["Arn"] = user["Arn"].replace("123456789012", "999999999999")
    response = upload(importer, json.dumps(data).encode())
    page = response.content.decode()
    assert "999999999999" in page and "123456789012" in page and "nothing was changed" in page
    assert PENDING_IMPORT not in importer.session


def test_a_malformed_file_reports_its_place(importer):
    response = upload(importer, b'{"UserDetailList": [}')
    assert response.status_code == 200
    assert response.context["problems"] and "line 1" in " ".join(response.context["problems"]).lower()


def test_a_file_that_is_not_utf8_is_refused_by_the_form(importer):
    response = upload(importer, b"\xff\xfe{}")
    assert "not UTF-8" in response.content.decode()


def test_an_unchanged_account_offers_nothing_to_confirm(importer):
    upload(importer)
    importer.post(CONFIRM, {"digest": importer.session[PENDING_IMPORT]["digest"]})
    response = upload(importer)
    assert "nothing to import" in response.content.decode()
    assert 'id="confirm-form"' not in response.content.decode()


def test_without_the_action_the_page_is_forbidden_and_nothing_is_written(db):
    client = client_for("iam:ListAuditEvents")
    assert client.get(UPLOAD).status_code == 403
    assert upload(client).status_code == 403
    assert client.post(CONFIRM, {"digest": "0" * 64}).status_code == 403
    assert not Group.objects.filter(group_name="Developers").exists()
    assert AuditEvent.objects.filter(event_name="ImportAccountAuthorizationDetails", outcome="Denied").count() == 3


def test_wrong_method_on_confirm(importer):
    assert importer.get(CONFIRM).status_code == 405


def with_bad_boundary() -> bytes:
    data = json.loads(SAMPLE.read_text())
    boundary = next(policy for policy in data["Policies"] if policy["PolicyName"] == "DeveloperBoundary")
    boundary["PolicyId"] = "not-an-id"
    return json.dumps(data).encode()


def test_unticked_a_file_with_an_invalid_entity_is_refused_whole(importer):
    response = upload(importer, with_bad_boundary())
    assert any("'not-an-id' is not" in problem for problem in response.context["problems"])
    assert PENDING_IMPORT not in importer.session


def test_ticked_the_preview_lists_what_is_skipped_and_confirming_imports_the_rest(importer):
    assert 'type="checkbox" name="skip_invalid"' in importer.get(UPLOAD).content.decode()
    content = with_bad_boundary()
    response = importer.post(UPLOAD, {"file": SimpleUploadedFile("account.json", content), "skip_invalid": "on"})
    page = response.content.decode()
    assert 'id="import-skipped"' in page
    assert "its permissions boundary arn:aws:iam::123456789012:policy/boundaries/DeveloperBoundary is skipped" in page
    assert sorted(entry.arn.rsplit("/", 1)[-1] for entry in response.context["plan"].skipped) == [
        "DeployRole",
        "DeveloperBoundary",
        "mia",
    ]
    importer.post(CONFIRM, {"digest": importer.session[PENDING_IMPORT]["digest"]})
    assert User.objects.filter(username="oliver").exists()
    assert not User.objects.filter(username="mia").exists()
    event = AuditEvent.objects.get(event_name="ImportAccountAuthorizationDetails")
    assert len(event.after["skipped"]) == 3


def test_a_file_holding_the_pages_of_one_answer_imports_as_one_account(importer):
    data = json.loads(SAMPLE.read_text())
    first = {"UserDetailList": data["UserDetailList"], "GroupDetailList": data["GroupDetailList"], "IsTruncated": True}
    second = {"RoleDetailList": data["RoleDetailList"], "Policies": data["Policies"], "IsTruncated": False}
    response = upload(importer, json.dumps([first, second]).encode())
    assert response.context["plan"].summary["role"]["create"] == 2
    importer.post(CONFIRM, {"digest": importer.session[PENDING_IMPORT]["digest"]})
    assert User.objects.filter(username="mia").exists() and Group.objects.filter(group_name="Developers").exists()


def _iam_full_access_holder() -> tuple[User, bytes]:
    """ada holds the built-in IAMFullAccess; the file lists AWS's own, whose document differs."""
    from tests.policies.test_aws_import_builtins import aws_iam_full_access

    ada = identity_services.create_user(username="ada", actor=None)
    builtin = ManagedPolicy.objects.get(policy_name="IAMFullAccess", builtin=True)
    services.attach_policy(policy=builtin, identity=ada, actor=None)
    return ada, aws_iam_full_access().encode()


def test_unticked_a_differing_built_in_refuses_the_file_pointing_at_the_checkbox(importer):
    ada, content = _iam_full_access_holder()
    response = upload(importer, content)
    assert response.context["problems"] == [
        "arn:aws:iam::aws:policy/IAMFullAccess: the file's document differs from the built-in policy of this ARN, "
        'which the import keeps unless told to replace it (tick "Replace built-in policies"); '
        f"attached here to: {ada.arn}"
    ]
    assert "--replace-builtins" not in response.content.decode()
    assert PENDING_IMPORT not in importer.session
    assert ManagedPolicy.objects.get(policy_name="IAMFullAccess").builtin


def test_ticked_the_preview_lists_each_built_in_replaced_with_its_attachments(importer):
    assert 'type="checkbox" name="replace_builtins"' in importer.get(UPLOAD).content.decode()
    ada, content = _iam_full_access_holder()
    response = importer.post(UPLOAD, {"file": SimpleUploadedFile("account.json", content), "replace_builtins": "on"})
    assert response.context["plan"].replaced_builtins == [("arn:aws:iam::aws:policy/IAMFullAccess", [ada.arn])]
    replaced = re.search(r'<ul class="[^"]*" id="import-replaced">(.*?)</ul>\s*</li>', response.content.decode(), re.S)
    assert "<code>arn:aws:iam::aws:policy/IAMFullAccess</code>" in replaced.group(1)
    assert "which changes what these may do (1 attachment here):" in replaced.group(1)
    assert f"<li><code>{ada.arn}</code></li>" in replaced.group(1)
    assert ManagedPolicy.objects.get(policy_name="IAMFullAccess").builtin  # the preview writes nothing
    assert importer.post(CONFIRM, {"digest": importer.session[PENDING_IMPORT]["digest"]}).status_code == 302
    policy = ManagedPolicy.objects.get(policy_name="IAMFullAccess")
    assert (policy.builtin, policy.aws_managed) == (False, True)
    event = AuditEvent.objects.get(event_name="ImportAccountAuthorizationDetails")
    assert event.after["replaced_builtins"] == {"arn:aws:iam::aws:policy/IAMFullAccess": [ada.arn]}


def test_the_preview_says_so_when_ticked_but_no_built_in_differs(importer):
    response = importer.post(
        UPLOAD, {"file": SimpleUploadedFile("account.json", SAMPLE.read_bytes()), "replace_builtins": "on"}
    )
    assert "No built-in policy differs from the file's: none is replaced." in response.content.decode()
    assert importer.session[PENDING_IMPORT]["replace_builtins"] is True
