"""What the management commands share."""

import getpass
import os


def system_user() -> str:
    """Who runs the command on the server, for the audit trail: the operator has no IAM user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return os.environ.get("USER", "")
