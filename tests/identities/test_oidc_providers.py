"""OpenID Connect providers: named and ARN'd as AWS does, written only by the services (each
audited), and governed by AWS's actions on the provider's ARN through the rule table."""

import pytest
from django.core.exceptions import ValidationError

from identities import rules, services
from identities.audit import AuditEvent
from identities.models import OpenIDConnectProvider

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.example.org/tenant/v2"
ARN = "arn:aws:iam::123456789012:oidc-provider/idp.example.org/tenant/v2"


def create(**fields) -> OpenIDConnectProvider:
    return services.create_oidc_provider(**({"url": ISSUER, "client_ids": ["deploy"], "actor": None} | fields))


def test_a_provider_is_named_by_its_issuer_host_and_path():
    provider = create()
    assert (provider.name, provider.arn) == ("idp.example.org/tenant/v2", ARN)
    event = AuditEvent.objects.get(event_name="CreateOpenIDConnectProvider")
    assert (event.target_arn, event.after) == (ARN, {"url": ISSUER, "client_ids": ["deploy"], "tags": {}})


@pytest.mark.parametrize(
    "url",
    [
        "http://idp.example.org",
        "http://127.0.0.1:8080",
        "ftp://idp.example.org",
        "https://",
        "https://idp.example.org/",
        "https://idp.example.org/#x",
        "https://a@idp.example.org",
        "https://idp.example.org/a b",
        "x" * 300,
        "",
    ],
)
def test_an_issuer_that_is_not_a_plain_https_url_is_refused_and_nothing_is_written(url):
    with pytest.raises(ValidationError):
        create(url=url)
    assert not OpenIDConnectProvider.objects.exists()
    assert not AuditEvent.objects.exists()


def test_http_on_loopback_is_allowed_only_where_the_setting_allows_it(settings):
    settings.IAM_WEB_IDENTITY_ALLOW_HTTP_LOOPBACK = True
    assert create(url="http://127.0.0.1:8080").arn == "arn:aws:iam::123456789012:oidc-provider/127.0.0.1:8080"
    with pytest.raises(ValidationError):
        create(url="http://idp.example.org")


@pytest.mark.parametrize("client_ids", [["a", "a"], [""], ["x" * 256], "deploy", [7], [f"c{n}" for n in range(101)]])
def test_bad_client_ids_are_refused(client_ids):
    with pytest.raises(ValidationError):
        create(client_ids=client_ids)
    assert not OpenIDConnectProvider.objects.exists()


def test_one_provider_per_issuer():
    create()
    with pytest.raises(ValidationError, match="already"):
        create(client_ids=["other"])
    assert OpenIDConnectProvider.objects.count() == 1


def test_client_ids_are_added_and_removed_one_at_a_time_each_audited():
    provider = create()
    services.add_client_id(provider=provider, client_id="sts", actor=None)
    services.remove_client_id(provider=provider, client_id="deploy", actor=None)
    provider.refresh_from_db()
    assert provider.client_ids == ["sts"]
    event = AuditEvent.objects.get(event_name="RemoveClientIDFromOpenIDConnectProvider")
    assert (event.before["client_ids"], event.after["client_ids"]) == (["deploy", "sts"], ["sts"])
    with pytest.raises(ValidationError, match="already"):
        services.add_client_id(provider=provider, client_id="sts", actor=None)
    with pytest.raises(ValidationError, match="not a client ID"):
        services.remove_client_id(provider=provider, client_id="deploy", actor=None)
    provider.refresh_from_db()
    assert provider.client_ids == ["sts"]


def test_tags_are_added_changed_and_removed():
    provider = create(tags={"team": "ci"})
    services.tag_oidc_provider(provider=provider, tags={"team": "platform", "tier": "1"}, actor=None)
    services.untag_oidc_provider(provider=provider, keys=["tier"], actor=None)
    provider.refresh_from_db()
    assert provider.tags == {"team": "platform"}
    with pytest.raises(ValidationError):
        services.tag_oidc_provider(provider=provider, tags={"aws:reserved": "x"}, actor=None)
    provider.refresh_from_db()
    assert provider.tags == {"team": "platform"}


def test_each_change_needs_awss_action_on_the_providers_arn():
    provider = create(tags={"team": "ci"})
    asked = {
        services.delete_oidc_provider: {"provider": provider},
        services.add_client_id: {"provider": provider, "client_id": "x"},
        services.remove_client_id: {"provider": provider, "client_id": "deploy"},
    }
    found = {
        change.__name__: [(c.action, c.target.arn) for c in rules.required(change, **a)] for change, a in asked.items()
    }
    assert found == {
        "delete_oidc_provider": [("iam:DeleteOpenIDConnectProvider", ARN)],
        "add_client_id": [("iam:AddClientIDToOpenIDConnectProvider", ARN)],
        "remove_client_id": [("iam:RemoveClientIDFromOpenIDConnectProvider", ARN)],
    }


def test_creating_with_tags_also_needs_tagging_with_the_request_tags():
    checks = rules.required(services.create_oidc_provider, url=ISSUER, client_ids=[], tags={"team": "ci"})
    assert [(check.action, check.target.arn) for check in checks] == [
        ("iam:CreateOpenIDConnectProvider", ARN),
        ("iam:TagOpenIDConnectProvider", ARN),
    ]
    assert checks[1].target.keys["aws:RequestTag/team"] == "ci"


def test_tagging_and_untagging_name_their_keys():
    provider = create(tags={"team": "ci"})
    tag = rules.required(services.tag_oidc_provider, provider=provider, tags={"tier": "1"})
    untag = rules.required(services.untag_oidc_provider, provider=provider, keys=["team"])
    assert [(check.action, check.target.keys["aws:TagKeys"]) for check in tag + untag] == [
        ("iam:TagOpenIDConnectProvider", ["tier"]),
        ("iam:UntagOpenIDConnectProvider", ["team"]),
    ]
    assert tag[0].target.keys["aws:ResourceTag/team"] == "ci"


def test_someone_without_the_action_is_refused_and_nothing_changes(org):
    provider = create()
    with pytest.raises(rules.Refused):
        rules.perform(org.mia, services.add_client_id, provider=provider, client_id="mine")
    provider.refresh_from_db()
    assert provider.client_ids == ["deploy"]


def test_asked_before_the_tags_are_known_tagging_still_needs_its_action():
    provider = create()
    tag = rules.required(services.tag_oidc_provider, provider=provider)
    untag = rules.required(services.untag_oidc_provider, provider=provider)
    assert [(check.action, check.target.arn) for check in tag + untag] == [
        ("iam:TagOpenIDConnectProvider", ARN),
        ("iam:UntagOpenIDConnectProvider", ARN),
    ]
