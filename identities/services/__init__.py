"""Every write to identities: atomic, validated, and recorded in the audit trail.

Each function is keyword-only and takes the acting user (`actor`, None for
the system itself, such as a management command). A refused change raises
ValidationError with a message for a person and leaves the database as it was.
"""

from identities.services._common import PASSWORD_HISTORY_KEPT
from identities.services.credentials import (
    create_access_key,
    delete_access_key,
    end_role_session,
    note_key_use,
    revoke_role_sessions,
    start_role_session,
    update_access_key,
)
from identities.services.dates import set_identity_dates
from identities.services.expiry import remove_expired
from identities.services.groups import (
    add_members,
    create_group,
    delete_group,
    membership_problems,
    remove_members,
    remove_members_made_by,
    update_group,
)
from identities.services.roles import (
    assign_role,
    assign_role_to_users,
    create_role,
    delete_role,
    refuse_stale_role,
    unassign_role,
    update_role,
    update_role_and_trust_policy,
    update_trust_policy,
)
from identities.services.signin import (
    HIDDEN_USER_NAME,
    create_virtual_mfa_device,
    enable_mfa_device,
    end_console_session,
    end_console_sessions,
    note_console_session_use,
    record_console_login,
    remove_mfa_device,
    require_password_reset,
    set_mfa_required,
    start_console_session,
    update_password_policy,
    verify_sign_in_code,
)
from identities.services.users import (
    create_console_user,
    create_root_user,
    create_user,
    delete_user,
    refuse_stale_tags,
    reset_root_user,
    set_password,
    set_user_tags,
    update_user,
)

__all__ = [
    "create_console_user",
    "HIDDEN_USER_NAME",
    "PASSWORD_HISTORY_KEPT",
    "add_members",
    "assign_role",
    "assign_role_to_users",
    "create_access_key",
    "create_group",
    "create_role",
    "create_root_user",
    "create_user",
    "create_virtual_mfa_device",
    "delete_access_key",
    "delete_group",
    "delete_role",
    "delete_user",
    "enable_mfa_device",
    "end_console_session",
    "end_console_sessions",
    "end_role_session",
    "membership_problems",
    "note_console_session_use",
    "note_key_use",
    "record_console_login",
    "refuse_stale_role",
    "refuse_stale_tags",
    "remove_expired",
    "remove_members",
    "remove_members_made_by",
    "remove_mfa_device",
    "require_password_reset",
    "reset_root_user",
    "revoke_role_sessions",
    "set_identity_dates",
    "set_mfa_required",
    "set_password",
    "set_user_tags",
    "start_console_session",
    "start_role_session",
    "unassign_role",
    "update_access_key",
    "update_group",
    "update_password_policy",
    "update_role",
    "update_role_and_trust_policy",
    "update_trust_policy",
    "update_user",
    "verify_sign_in_code",
]
