"""Console views of identities, one module per area."""

from identities.views.account import (
    account_detail,
    locked_out,
    mfa_create,
    mfa_enrol,
    mfa_remove,
    mfa_verify,
    password_change,
    sign_in,
)
from identities.views.credentials import (
    access_key_delete,
    access_key_status,
    access_keys,
)

__all__ = [
    "access_key_delete",
    "access_key_status",
    "access_keys",
    "account_detail",
    "locked_out",
    "mfa_create",
    "mfa_enrol",
    "mfa_remove",
    "mfa_verify",
    "password_change",
    "sign_in",
]
