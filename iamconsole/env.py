"""Strict readers for settings that come from environment variables.

A typo in a deployment's environment must stop start-up with a message that
names the variable, never silently fall back to a default.
"""

import base64
import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, *, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use one of {', '.join(sorted(_TRUE | _FALSE))}.")


def env_int(name: str, *, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if number < minimum or (maximum is not None and number > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}{upper}.")
    return number


def env_list(name: str, *, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_account_id(name: str, *, default: str) -> str:
    value = env_str(name, default)
    if not (len(value) == 12 and value.isdigit()):
        raise ImproperlyConfigured(f"{name}={value!r} must be exactly 12 digits.")
    return value


_KEY_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,32}")


def env_credential_keys(name: str) -> list[tuple[str, bytes]]:
    """`id:key,id:key,...`, the current key first: each key 32 bytes (AES-256) in URL-safe base64."""
    value = os.environ.get(name, "").strip()
    keys: list[tuple[str, bytes]] = []
    entries = [part.strip() for part in value.split(",") if part.strip()]
    for position, item in enumerate(entries, start=1):
        key_id, colon, encoded = item.partition(":")
        if not colon or not _KEY_ID_RE.fullmatch(key_id):
            # Never echo the entry: without its colon it may be a key.
            raise ImproperlyConfigured(
                f"{name}: entry {position} is not ID:key; each key is written ID:key, the ID 1 to 32 "
                "letters, digits, '.', '_' or '-'."
            )
        try:
            key = base64.urlsafe_b64decode(encoded.encode() + b"=" * (-len(encoded) % 4))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"{name}: the key with ID {key_id!r} must be 32 random bytes in URL-safe base64 "
                "(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')."
            )
        if any(key_id == seen for seen, _ in keys):
            raise ImproperlyConfigured(f"{name}: the key ID {key_id!r} is given twice.")
        keys.append((key_id, key))
    return keys
