"""Settings come from the environment and refuse unsafe or malformed values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from iamconsole import env

ROOT = Path(__file__).resolve().parent.parent


def load_settings(show: str = "settings.SECURE_SSL_REDIRECT", **environment):
    clean = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "IAM_PLAIN_HTTP",
            "DATABASE_URL",
            "IAM_ACCOUNT_ID",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    clean.update(environment, DJANGO_SETTINGS_MODULE="iamconsole.settings")
    code = f"import django; django.setup(); from django.conf import settings; print({show})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_production_settings_refuse_a_missing_secret_key():
    result = load_settings(DEBUG="false", ALLOWED_HOSTS="iam.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_refuse_empty_allowed_hosts():
    result = load_settings(DEBUG="false", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is empty" in result.stderr


def test_debug_has_a_development_secret_key():
    assert load_settings(DEBUG="true").stdout.strip() == "False"


def test_security_is_on_by_default_without_debug():
    result = load_settings(DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="iam.example.org")
    assert result.stdout.strip() == "True"


def test_plain_http_switch_turns_https_settings_off():
    result = load_settings(DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="127.0.0.1", IAM_PLAIN_HTTP="true")
    assert result.stdout.strip() == "False"


def test_check_deploy_reports_nothing_with_production_settings():
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"IAM_PLAIN_HTTP", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="iamconsole.settings",
        SECRET_KEY="k7#Qz!9vL2@xW4$eR8^tY6&uI0*oP3(aS5)dF1-gH7+jK9=lZ2",
        ALLOWED_HOSTS="iam.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_connection_health_checks_are_on_unless_turned_off():
    show = "settings.DATABASES['default']['CONN_HEALTH_CHECKS']"
    assert load_settings(show, DEBUG="true").stdout.strip() == "True"
    assert load_settings(show, DEBUG="true", DATABASE_CONN_HEALTH_CHECKS="false").stdout.strip() == "False"


def test_bad_account_id_stops_start_up():
    result = load_settings(DEBUG="true", IAM_ACCOUNT_ID="12345")
    assert result.returncode != 0
    assert "must be exactly 12 digits" in result.stderr


@pytest.mark.parametrize("value", ["ture", "2", "enabled"])
def test_env_bool_refuses_typos(monkeypatch, value):
    monkeypatch.setenv("SOME_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env.env_bool("SOME_FLAG", default=False)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("0", False), ("", True), ("Off", False)])
def test_env_bool_reads_booleans(monkeypatch, value, expected):
    monkeypatch.setenv("SOME_FLAG", value)
    assert env.env_bool("SOME_FLAG", default=True) is expected


def test_env_int_enforces_bounds(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env.env_int("SOME_NUMBER", default=10, minimum=1)


@pytest.mark.parametrize(
    "value, message",
    [
        ("nocolon", "entry 1 is not ID:key"),
        ("bad id:" + "A" * 43 + "=", "entry 1 is not ID:key"),
        ("a:short", "must be 32 random bytes"),
        ("a:" + "A" * 43 + "=,a:" + "B" * 43 + "=", "given twice"),
    ],
)
def test_malformed_credential_keys_stop_start_up_naming_the_variable(monkeypatch, value, message):
    monkeypatch.setenv("IAM_CREDENTIAL_KEYS", value)
    with pytest.raises(ImproperlyConfigured, match=message) as error:
        env.env_credential_keys("IAM_CREDENTIAL_KEYS")
    assert "IAM_CREDENTIAL_KEYS" in str(error.value) and "A" * 43 not in str(error.value)
