"""The provider's settings refuse a half-made or plain-HTTP registration at start-up."""

from tests.test_settings_env import load_settings

PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "iam.example.org"}


def test_an_issuer_without_its_client_stops_start_up():
    result = load_settings(**PRODUCTION, IAM_OIDC_ISSUER="https://idp.example.org")
    assert result.returncode != 0
    assert "IAM_OIDC_ISSUER needs IAM_OIDC_CLIENT_ID and IAM_OIDC_CLIENT_SECRET" in result.stderr


def test_a_plain_http_issuer_stops_start_up_in_production():
    client = {"IAM_OIDC_CLIENT_ID": "iamconsole", "IAM_OIDC_CLIENT_SECRET": "s"}
    result = load_settings(**PRODUCTION, **client, IAM_OIDC_ISSUER="http://idp.example.org")
    assert result.returncode != 0
    assert "must be an https:// URL" in result.stderr


def test_a_complete_registration_loads():
    client = {"IAM_OIDC_CLIENT_ID": "iamconsole", "IAM_OIDC_CLIENT_SECRET": "s", "IAM_OIDC_MFA_VALUES": "otp, hwk"}
    result = load_settings(
        "settings.IAM_OIDC_MFA_VALUES", **PRODUCTION, **client, IAM_OIDC_ISSUER="https://idp.example.org"
    )
    assert (result.returncode, result.stdout.strip()) == (0, "['otp', 'hwk']")
