"""The one idempotent loader of built-in data: the action catalogue, the
built-in policies and the default allow-all guardrail.

The data migration calls it with the migration's historical apps; tests call
it again after a transactional flush. Running it twice changes nothing.
"""

from django.apps import apps as global_apps

from policies import catalogue_version
from policies.builtin_policies import BUILTIN_POLICIES
from policies.catalogue_data import GLOBAL_CONDITION_KEYS, SERVICES

DEFAULT_GUARDRAIL_NAME = "FullAccess"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def load_builtins(apps=global_apps) -> None:
    _load_catalogue(apps)
    _renew_catalogue_version(apps)
    _load_policies(apps)
    _load_default_guardrail(apps)


def _load_catalogue(apps) -> None:
    key_model = apps.get_model("policies", "CatalogConditionKey")
    # Global keys first: a key is stored once, under the first owner that names it.
    _load_keys(key_model, None, GLOBAL_CONDITION_KEYS)
    service_model = apps.get_model("policies", "CatalogService")
    action_model = apps.get_model("policies", "CatalogAction")
    resource_model = apps.get_model("policies", "CatalogResourceType")
    for service in SERVICES:
        row, _ = service_model.objects.update_or_create(
            prefix=service.prefix, defaults={"name": service.name, "builtin": True}
        )
        _yield_aws_actions(action_model, row, service)
        known = set(action_model.objects.filter(service=row).values_list("name", flat=True))
        action_model.objects.bulk_create(
            action_model(
                service=row,
                name=action.name,
                access_level=action.access_level,
                resource_types=list(action.resource_types),
                condition_keys=list(action.condition_keys),
                description=action.description,
            )
            for action in service.actions
            if action.name not in known
        )
        known_types = set(resource_model.objects.filter(service=row).values_list("name", flat=True))
        resource_model.objects.bulk_create(
            resource_model(
                service=row, name=kind.name, arn_pattern=kind.arn_pattern, condition_keys=list(kind.condition_keys)
            )
            for kind in service.resource_types
            if kind.name not in known_types
        )
        _load_keys(key_model, row, service.condition_keys)


def _renew_catalogue_version(apps) -> None:
    """Validation keeps the catalogue per process under its version (policies.catalogue_version).
    Migrations older than 0007 have no version yet: 0007 gives the catalogue its first."""
    try:
        apps.get_model("policies", "CatalogueVersion")
    except LookupError:
        return
    catalogue_version.renew(apps)


def _yield_aws_actions(action_model, row, service) -> None:
    """AWS's reference (load_aws_catalogue) may hold an action that a later iamconsole implements:
    the catalogue's own entry wins, so AWS's row gives way to it. Migrations older than the
    origin column have no such rows."""
    if not any(field.name == "origin" for field in action_model._meta.get_fields()):
        return
    ours = {action.name.lower() for action in service.actions}
    theirs = action_model.objects.filter(service=row, origin="aws").values_list("pk", "name")
    action_model.objects.filter(pk__in=[pk for pk, name in theirs if name.lower() in ours]).delete()


def _load_keys(key_model, service, keys) -> None:
    known = {key.lower() for key in key_model.objects.values_list("key", flat=True)}
    fresh = {}
    for key, value_type in keys:
        if key.lower() not in known:
            fresh.setdefault(key.lower(), key_model(service=service, key=key, value_type=value_type))
    key_model.objects.bulk_create(fresh.values())


def _load_policies(apps) -> None:
    policy_model = apps.get_model("policies", "ManagedPolicy")
    version_model = apps.get_model("policies", "PolicyVersion")
    for builtin in BUILTIN_POLICIES:
        policy, created = policy_model.objects.get_or_create(
            policy_name=builtin.name,
            aws_managed=True,
            defaults={
                "path": builtin.path,
                "description": builtin.description,
                "builtin": True,
                "next_version_number": 2,
            },
        )
        if created:
            version_model.objects.create(policy=policy, number=1, document=builtin.document, is_default=True)
        elif policy.builtin:  # not one an import replaced with AWS's own document
            # A newer release of iamconsole may ship a corrected document.
            version_model.objects.filter(policy=policy, is_default=True).exclude(document=builtin.document).update(
                document=builtin.document
            )


def _load_default_guardrail(apps) -> None:
    guardrail_model = apps.get_model("policies", "Guardrail")
    if not guardrail_model.objects.exists():
        guardrail_model.objects.create(
            guardrail_name=DEFAULT_GUARDRAIL_NAME,
            description="Allows everything; add deny guardrails beside it (like AWS's FullAWSAccess).",
            level=1,
            document=ALLOW_ALL,
        )
