"""The Django admin for identities; every save and delete goes through services.

One module per area, as the console's views are: `users`, `groups`, `roles`, `oidc_providers`, `audit` (the
trail, read-only) and `passwords` (the account's password policy). What they share, and
policies' admin with them, is in `base` (IAM actions behind Django's permission hooks, writes
through the services, the rows of memberships and assignments) and `forms` (the refusal of a
save based on what is no longer stored).
"""

from importlib import import_module

from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities.admin import audit, groups, oidc_providers, passwords, roles, users
from identities.admin.base import JSON_FORM_FIELDS, IAMActionsAdmin, ServiceBackedAdmin, adopt, allowed, count_of
from identities.admin.forms import StaleCheckedForm

# The registrations undone here are made first, whichever of the apps comes first in INSTALLED_APPS
# (identities comes before django.contrib.auth there, for its createsuperuser).
import_module("django.contrib.auth.admin")
import_module("django_otp.plugins.otp_totp.admin")
admin.site.unregister(AuthGroup)
# MFA devices are managed on the user (enrolment in the console, removal here), under IAM actions.
admin.site.unregister(TOTPDevice)

__all__ = [
    "JSON_FORM_FIELDS",
    "IAMActionsAdmin",
    "ServiceBackedAdmin",
    "StaleCheckedForm",
    "adopt",
    "allowed",
    "audit",
    "count_of",
    "groups",
    "oidc_providers",
    "passwords",
    "roles",
    "users",
]
