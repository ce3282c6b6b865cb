"""Settings for iamconsole, all read from environment variables.

Every variable is listed, with its default, in the README's configuration
table. With DEBUG off the security settings are on unless IAM_PLAIN_HTTP
says this is a plain-HTTP run on loopback (benchmarks, demos, tests).
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from iamconsole.env import env_account_id, env_bool, env_credential_keys, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
PLAIN_HTTP = env_bool("IAM_PLAIN_HTTP", default=False)

_DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production-1f9c2b7e4a6d"
SECRET_KEY = env_str("SECRET_KEY") or (_DEVELOPMENT_SECRET_KEY if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. With DEBUG off a secret key is required: set SECRET_KEY "
        "to a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

# Keys that encrypt access-key and session secrets at rest (identities.sealed), the current
# one first. A SigV4 signature can only be checked with the secret itself, so it is kept,
# encrypted, beside its SHA-256 hash (docs/deployment.md).
IAM_CREDENTIAL_KEYS = env_credential_keys("IAM_CREDENTIAL_KEYS")
IAM_CREDENTIAL_KEYS_DEVELOPMENT = not IAM_CREDENTIAL_KEYS and DEBUG
if IAM_CREDENTIAL_KEYS_DEVELOPMENT:
    # Public, like the development SECRET_KEY: anyone can read secrets sealed under it.
    IAM_CREDENTIAL_KEYS = [("development", b"development-only-credential-key!")]
if not IAM_CREDENTIAL_KEYS:
    raise ImproperlyConfigured(
        "IAM_CREDENTIAL_KEYS is not set. With DEBUG off a key is required to encrypt access-key "
        "secrets: set IAM_CREDENTIAL_KEYS to ID:key, the key 32 random bytes in URL-safe base64 "
        "(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'), "
        "e.g. IAM_CREDENTIAL_KEYS=2026a:<key>."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is empty. With DEBUG off, set ALLOWED_HOSTS to the comma-separated "
        "host names the console is served under."
    )

IAM_ACCOUNT_ID = env_account_id("IAM_ACCOUNT_ID", default="123456789012")
IAM_MAX_GROUPS_PER_USER = env_int("IAM_MAX_GROUPS_PER_USER", default=10, minimum=1)
IAM_MAX_TAGS_PER_IDENTITY = 50

INSTALLED_APPS = [
    "iamconsole.apps.IAMAdminConfig",
    # Before django.contrib.auth: Django takes a management command from the first app that
    # has it, and identities' createsuperuser creates the account root user through its
    # services. Neither app has templates, static files or translations that this order could
    # let override another app's; policies follows, as it depends on identities.
    "identities",
    "policies",
    "access",
    "federation",
    "scim",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before every middleware that may answer (refusals, redirects, the lockout page), so all carry the policy.
    "iamconsole.content_security.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "identities.middleware.RequestContextMiddleware",
    # The console's own 403 and 404 pages in every mode (the admin and the API keep theirs).
    "identities.console.RefusalMiddleware",
    # A save that could not wait for another request's hold on the database: 409, nothing saved.
    "identities.middleware.BusyDatabaseMiddleware",
    # Records refused requests (401, 403, 404) as Denied audit events, with the context above.
    "identities.middleware.AuditRefusalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it ends idle or too-old sessions, with a message saying so.
    "identities.middleware.SignInStateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
    # After every other process_view: it calls the report views itself.
    "iamconsole.routers.ReportsOnReplicaMiddleware",
]

# The decision API's short chain (iamconsole.handlers): MIDDLEWARE in the same order, less
# what a machine endpoint never uses (static files, sessions, CSRF, authentication from the
# session, messages, sign-in state, htmx, the lockout, the report router).
IAM_API_PATH_PREFIX = "/api/v1/"
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "iamconsole.content_security.CSPMiddleware",
    "django.middleware.common.CommonMiddleware",
    "identities.middleware.RequestContextMiddleware",
    "identities.middleware.AuditRefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "iamconsole.urls"
API_URLCONF = "iamconsole.urls_api"
WSGI_APPLICATION = "iamconsole.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "iamconsole.navigation.navigation",
                "federation.context_processors.sign_in_provider",
            ],
            "builtins": ["identities.templatetags.console_tags"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=60),
        # A reused connection is checked (SELECT 1) at the start of each request: one more
        # round trip, about 0.2 ms, against one 503 per worker after the database drops it.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", default=True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers share the file: write-ahead logging lets readers run
    # beside a writer, IMMEDIATE transactions avoid lock-upgrade deadlocks, and
    # NORMAL synchronisation is safe with WAL (a crash loses no committed data
    # that reached the log, only the last transactions before a power cut).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    )
if env_str("DATABASE_REPLICA_URL"):
    # Heavy read-only reports (who-can, the audit search, exports) read here; see iamconsole/routers.py.
    DATABASES["replica"] = dj_database_url.config(
        env="DATABASE_REPLICA_URL",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=60),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", default=True),
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["iamconsole.routers.ReplicaRouter"]
# The heavy read-only reports whose reads go to the replica (URL names).
IAM_REPORT_VIEWS = ["policies:who-can", "policies:escalation-paths", "identities:audit-list", "credential-report"]

# Redis, when configured, is the shared cache (policy documents, sessions); a
# failing Redis costs speed only: every call falls back to the database.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "iamconsole.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "iamconsole",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "identities.User"
AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires: refuses locked-out sign-ins; it grants nothing.
    "axes.backends.AxesStandaloneBackend",
    "policies.authorization.backend.PolicyBackend",
    "identities.backends.PasswordBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    # The account password policy (length, character classes, reuse), edited in the admin.
    {"NAME": "identities.passwords.AccountPasswordPolicyValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format, with its zone, for the console and the admin (iamconsole/formats/).
FORMAT_MODULE_PATH = ["iamconsole.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
_HTTPS = not DEBUG and not PLAIN_HTTP
SECURE_SSL_REDIRECT = _HTTPS
# The API answers plain HTTP with a JSON refusal rather than a redirect: the
# credentials were already sent by then.
SECURE_REDIRECT_EXEMPT = [r"^api/"]
SECURE_HSTS_SECONDS = 31_536_000 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
# Content-Security-Policy: scripts and styles come only from the console's own static
# files (no inline script, style attribute or eval), so injected markup cannot run.
# data: images are Bootstrap's SVG icons inside its CSS (selects, checkboxes, the navbar toggler).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "iamconsole.logs.JSONFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if env_bool("IAM_LOG_JSON", default=False) else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Behind a TLS-terminating proxy (or load balancer): how many proxies append to
# X-Forwarded-For in front of the app. With at least one, X-Forwarded-Proto is
# trusted for HTTPS and the client address is read that many hops back.
IAM_PROXY_COUNT = env_int("IAM_PROXY_COUNT", default=0, minimum=0)
if IAM_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Quotas, AWS's defaults (docs/policy-evaluation.md, "Quotas").
IAM_MAX_POLICY_VERSIONS = 5
IAM_MAX_ATTACHED_POLICIES = env_int("IAM_MAX_ATTACHED_POLICIES", default=10, minimum=1)
IAM_MANAGED_POLICY_MAX_SIZE = env_int("IAM_MANAGED_POLICY_MAX_SIZE", default=6144, minimum=1)
IAM_INLINE_POLICY_MAX_SIZE = {
    "user": env_int("IAM_INLINE_USER_POLICY_MAX_SIZE", default=2048, minimum=1),
    "group": env_int("IAM_INLINE_GROUP_POLICY_MAX_SIZE", default=5120, minimum=1),
    "role": env_int("IAM_INLINE_ROLE_POLICY_MAX_SIZE", default=10240, minimum=1),
}
IAM_GUARDRAIL_MAX_SIZE = 5120
# A role's trust policy: AWS's default quota is 2,048 characters, which an account may raise to 4,096.
IAM_TRUST_POLICY_MAX_SIZE = env_int("IAM_TRUST_POLICY_MAX_SIZE", default=4096, minimum=1)
# Compiled policy sets kept per process (keyed by principal and permissions generation).
IAM_POLICY_CACHE_SIZE = env_int("IAM_POLICY_CACHE_SIZE", default=2048, minimum=1)
# Attach the built-in self-service policy to every user created in the console.
IAM_SELF_SERVICE_FOR_NEW_USERS = env_bool("IAM_SELF_SERVICE_FOR_NEW_USERS", default=True)
# Called with (user=, actor=) after a user is created in the console, in the same
# transaction; named here so identities needs no import of policies.
IAM_NEW_USER_HOOKS = ["policies.services.attach_new_user_policies"]
# The console's create-user form: the managed policies it offers as a boundary (a queryset),
# and what sets the one chosen (identity=, policy=, actor=), in the creation's transaction.
IAM_BOUNDARY_POLICIES = "policies.queries.boundary_policies"
IAM_SET_PERMISSIONS_BOUNDARY = "policies.services.set_permissions_boundary"
# Called with a trust policy before it is stored (the engine's grammar and findings: a
# document that cannot be evaluated is refused, with every problem and its place).
IAM_TRUST_POLICY_CHECKS = ["policies.services.check_trust_policy"]
# Called with a role: the users and roles the engine lets assume it, each with whether only
# under conditions, and the principals named outside the account (the role page's effective
# trust; identities cannot ask the engine).
IAM_TRUSTED_PRINCIPALS = "policies.queries.trusted_principals"
# Before a user, group or role is deleted: called with (identity=), each lists what it
# attaches to the identity (identities.queries.Obstacle, with the IAM action that removes
# it), for the refusal AWS answers (DeleteConflict) and the delete pages' checks; then
# called with (identity=, actor=) in the deletion's transaction, each removes all of it,
# every removal with its own audit record. Named here so identities needs no import of policies.
IAM_DELETION_OBSTACLE_HOOKS = ["policies.queries.identity_policy_obstacles", "access.queries.request_obstacles"]
IAM_DELETION_REMOVAL_HOOKS = ["access.services.remove_requests_of", "policies.services.remove_identity_policies"]

# Credentials (AWS's defaults).
# Signing regions /aws/ accepts in a SigV4 credential scope (docs/aws-api.md).
IAM_AWS_REGIONS = env_list("IAM_AWS_REGIONS", default=["us-east-1"])
IAM_MAX_ACCESS_KEYS = env_int("IAM_MAX_ACCESS_KEYS", default=2, minimum=1)
# An access key's last-used time is written at most this often (seconds).
IAM_KEY_LAST_USED_INTERVAL = 60
IAM_ROLE_SESSION_MIN_DURATION = 900
# AssumeRoleWithWebIdentity: issuers are https, except http on loopback where this is on
# (tests that serve a provider on 127.0.0.1). Never on a server.
IAM_WEB_IDENTITY_ALLOW_HTTP_LOOPBACK = env_bool("IAM_WEB_IDENTITY_ALLOW_HTTP_LOOPBACK", default=False)
# Seconds to wait for an OpenID provider's discovery document or keys.
IAM_WEB_IDENTITY_FETCH_TIMEOUT = 3

# Sign-in: sessions, lockout (django-axes) and MFA (django-otp).
# A session ends after this many seconds without a request, and this many after sign-in.
IAM_SESSION_IDLE_TIMEOUT = env_int("IAM_SESSION_IDLE_TIMEOUT", default=3600, minimum=60)
IAM_SESSION_ABSOLUTE_TIMEOUT = env_int("IAM_SESSION_ABSOLUTE_TIMEOUT", default=43200, minimum=60)
SESSION_COOKIE_AGE = IAM_SESSION_ABSOLUTE_TIMEOUT
# The second sign-in step (the MFA code) must follow the password within this many seconds.
IAM_SIGN_IN_CODE_TIMEOUT = 300
# Failed sign-ins, per user name (as typed, without regard to case) and client address,
# before further attempts are refused for the cool-off, whether or not the name exists.
AXES_FAILURE_LIMIT = env_int("IAM_LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("IAM_LOGIN_COOLOFF", default=900, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "identities.signin.lockout_user_name"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "identities.views.locked_out"
# Against password spraying, beside that lockout (identities.throttle), in windows of the
# cool-off time: past this many failed sign-ins from one client address, whatever the
# names, each further attempt from it waits a delay after the last failure (1 second,
# doubling with each failure up to the maximum, in seconds); it is refused unchecked.
IAM_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("IAM_LOGIN_ADDRESS_FAILURE_LIMIT", default=50, minimum=1)
IAM_LOGIN_ADDRESS_MAX_DELAY = 300
# The same for one user name from any address (whether or not it exists), with a short
# maximum: it slows guessing, and nobody can keep a user (root included) out for long.
IAM_LOGIN_NAME_FAILURE_LIMIT = env_int("IAM_LOGIN_NAME_FAILURE_LIMIT", default=10, minimum=1)
IAM_LOGIN_NAME_MAX_DELAY = 60
# Sign-ins are audited as ConsoleLogin events; axes keeps only its counters.
AXES_DISABLE_ACCESS_LOG = True
# Its admin pages would not be governed by IAM policies.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
OTP_TOTP_ISSUER = env_str("IAM_MFA_ISSUER", "iamconsole")
# The most requests one call to the decision API may batch.
IAM_AUTHORIZE_BATCH_MAX = env_int("IAM_AUTHORIZE_BATCH_MAX", default=100, minimum=1)

# Change previews (policies.preview): past this many principals (active users and roles) the
# console's preview runs as a job of `run_preview_jobs` instead of while the page waits.
IAM_PREVIEW_INLINE_MAX = env_int("IAM_PREVIEW_INLINE_MAX", default=20_000, minimum=0)
# A queued preview still running this long after a runner took it lost its runner (stopped,
# or its machine gone) and is taken again, once; longer than the largest preview takes.
IAM_PREVIEW_JOB_TIMEOUT_SECONDS = env_int("IAM_PREVIEW_JOB_TIMEOUT_SECONDS", default=1800, minimum=60)

# Access requests (access): the longest a grant may last (seconds), whether "until revoked"
# may be asked for, how many people must approve (1 or 2), the hours before an undecided
# request expires, the most open requests one user may have, and how long before a grant
# ends its holder is told. A group or a role may be stricter (access.models.AccessLimit).
IAM_ACCESS_MAX_DURATION = env_int("IAM_ACCESS_MAX_DURATION", default=8 * 3600, minimum=60)
IAM_ACCESS_UNTIL_REVOKED = env_bool("IAM_ACCESS_UNTIL_REVOKED", default=False)
IAM_ACCESS_APPROVALS = env_int("IAM_ACCESS_APPROVALS", default=1, minimum=1, maximum=2)
IAM_ACCESS_REQUEST_EXPIRY_HOURS = env_int("IAM_ACCESS_REQUEST_EXPIRY_HOURS", default=72, minimum=1)
IAM_ACCESS_MAX_OPEN_REQUESTS = env_int("IAM_ACCESS_MAX_OPEN_REQUESTS", default=5, minimum=1)
IAM_ACCESS_EXPIRY_NOTICE = env_int("IAM_ACCESS_EXPIRY_NOTICE", default=3600, minimum=0)

# Console sign-in through the organisation's OpenID provider (federation/, docs/federation.md):
# off unless an issuer is set. Registered by these settings only, never in the console.
IAM_OIDC_ISSUER = env_str("IAM_OIDC_ISSUER", "")
IAM_OIDC_CLIENT_ID = env_str("IAM_OIDC_CLIENT_ID", "")
IAM_OIDC_CLIENT_SECRET = env_str("IAM_OIDC_CLIENT_SECRET", "")
IAM_OIDC_PROVIDER_NAME = env_str("IAM_OIDC_PROVIDER_NAME", "your organisation's sign-in")
IAM_OIDC_SCOPES = env_str("IAM_OIDC_SCOPES", "openid profile email")
IAM_OIDC_BIND_CLAIM = env_str("IAM_OIDC_BIND_CLAIM", "sub")
IAM_OIDC_USERNAME_CLAIM = env_str("IAM_OIDC_USERNAME_CLAIM", "preferred_username")
IAM_OIDC_CREATE_USERS = env_bool("IAM_OIDC_CREATE_USERS", default=False)
IAM_OIDC_GROUPS_CLAIM = env_str("IAM_OIDC_GROUPS_CLAIM", "groups")
IAM_OIDC_MFA_VALUES = env_list("IAM_OIDC_MFA_VALUES", default=[])
# Off: a user bound to the provider signs in through it only (never the root user, which keeps its password).
IAM_OIDC_FEDERATED_PASSWORDS = env_bool("IAM_OIDC_FEDERATED_PASSWORDS", default=True)
# Each names a callable(user) -> str: a reason to refuse that user a password sign-in, or "".
IAM_PASSWORD_SIGN_IN_HOOKS = ["federation.signin.password_sign_in_refusal"]
if IAM_OIDC_ISSUER and not (IAM_OIDC_CLIENT_ID and IAM_OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("IAM_OIDC_ISSUER needs IAM_OIDC_CLIENT_ID and IAM_OIDC_CLIENT_SECRET as well.")
if IAM_OIDC_ISSUER and not IAM_OIDC_ISSUER.startswith("https://") and not (DEBUG or PLAIN_HTTP):
    raise ImproperlyConfigured(f"IAM_OIDC_ISSUER={IAM_OIDC_ISSUER!r} must be an https:// URL.")

# E-mail (access requests' notices only): the console backend unless a host is set.
EMAIL_HOST = env_str("EMAIL_HOST", "") or ""
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", default=587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "iamconsole@localhost")

# The audit trail. Decision API answers are always counted per day and outcome;
# with this on, each answer of an allowed call is also recorded in full (a row per decision).
IAM_AUDIT_ALLOWED_DECISIONS = env_bool("IAM_AUDIT_ALLOWED_DECISIONS", default=False)
# Decision API counts are kept in memory and written at most this often (seconds).
IAM_DECISION_COUNT_FLUSH_SECONDS = env_int("IAM_DECISION_COUNT_FLUSH_SECONDS", default=60, minimum=0)
# Refused requests without an authenticated caller (bad credentials, rate limits) are counted
# per day, reason and client network (IPv4 /32, IPv6 /64), written with the decision counts;
# past this many networks in a day the rest are counted together as "other".
IAM_REFUSAL_NETWORKS_PER_DAY = env_int("IAM_REFUSAL_NETWORKS_PER_DAY", default=1000, minimum=1)
# Last-accessed data (policies.lastaccess): when each principal's real requests were last
# allowed each action, kept in memory and written at most this often (seconds), and the most
# resources kept per principal and action (the rest are recorded together as "*").
IAM_LAST_ACCESSED_FLUSH_SECONDS = env_int("IAM_LAST_ACCESSED_FLUSH_SECONDS", default=60, minimum=0)
IAM_LAST_ACCESSED_RESOURCES_PER_ACTION = env_int("IAM_LAST_ACCESSED_RESOURCES_PER_ACTION", default=20, minimum=1)
# Called with (actor=, checks=) once the rule table has allowed a change it is about to make
# or the console an object page it opens (identities.rules); named here so identities needs
# no import of policies.
IAM_ALLOWED_REQUEST_HOOKS = ["policies.lastaccess.note_console_checks"]
# The API's OpenAPI document (policies.openapi) adds the paths and schemas each of these
# returns: the endpoints of apps that policies cannot import.
IAM_API_DOCUMENT_PARTS = ["access.openapi.document_part"]
# Machine endpoints (the API under /api/v1/ and any other, identities.machine): token buckets,
# requests a second after a burst, per client network (IPv4 address, IPv6 /64) before
# authentication and per access key after it. Each process keeps its own buckets and
# reconciles them through the cache at most once a second. A rate of 0 turns a limit off.
IAM_API_RATE_PER_ADDRESS = env_int("IAM_API_RATE_PER_ADDRESS", default=200, minimum=0)
IAM_API_BURST_PER_ADDRESS = env_int("IAM_API_BURST_PER_ADDRESS", default=400, minimum=1)
IAM_API_RATE_PER_KEY = env_int("IAM_API_RATE_PER_KEY", default=100, minimum=0)
IAM_API_BURST_PER_KEY = env_int("IAM_API_BURST_PER_KEY", default=200, minimum=1)
