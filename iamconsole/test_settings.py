"""Settings for the test suite: the real settings, made fast and self-contained."""

import os

os.environ["SECRET_KEY"] = "test-only-secret-key-not-for-any-deployment-7c1e9a3f5b2d8e6a"
os.environ.setdefault("IAM_PLAIN_HTTP", "true")
# Seals the credential secrets (identities.sealed); a test that rotates keys overrides the setting.
os.environ["IAM_CREDENTIAL_KEYS"] = "test:dGVzdC1vbmx5LWNyZWRlbnRpYWwta2V5LTMyYnl0ZXM="
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")

from iamconsole.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The live server used by browser tests serves files straight from the
# finders; the manifest storage would need collectstatic first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Tests read the decision counts right after each call.
IAM_DECISION_COUNT_FLUSH_SECONDS = 0
# Last-accessed data is written only when a test flushes it (policies.lastaccess.flush).
IAM_LAST_ACCESSED_FLUSH_SECONDS = 10**6
