"""Credential secrets encrypted at rest, so a SigV4 signature can be checked with them.

A one-way hash cannot verify a signature: the verifier must compute the same HMAC with
the secret itself, as AWS does. Each secret is sealed with AES-GCM under the current key
of settings.IAM_CREDENTIAL_KEYS, with a fresh 96-bit nonce, and the key's ID, the
secret's kind and the credential's ID bound as associated data, so a sealed value copied
to another row or kind does not open. The stored text is `<key id>:<base64 nonce+ciphertext>`;
earlier keys still open what they sealed until `reseal_credentials` moves it to the current one.
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

ACCESS_KEY_SECRET = "access-key-secret"
SESSION_SECRET = "session-secret"
_NONCE_BYTES = 12


class Unsealable(Exception):
    """The sealed text is malformed, names no configured key, or fails authentication."""


def _associated_data(key_id: str, kind: str, credential_id: str) -> bytes:
    return f"iamconsole:{kind}:{credential_id}:{key_id}".encode()


def current_key_id() -> str:
    return settings.IAM_CREDENTIAL_KEYS[0][0]


def seal(secret: str, *, kind: str, credential_id: str) -> str:
    key_id, key = settings.IAM_CREDENTIAL_KEYS[0]
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), _associated_data(key_id, kind, credential_id))
    return f"{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(text: str, *, kind: str, credential_id: str) -> str:
    key_id, _, encoded = text.partition(":")
    key = dict(settings.IAM_CREDENTIAL_KEYS).get(key_id)
    if key is None:
        raise Unsealable(f"sealed under key {key_id!r}, which IAM_CREDENTIAL_KEYS no longer has")
    try:
        raw = base64.urlsafe_b64decode(encoded.encode())
        associated = _associated_data(key_id, kind, credential_id)
        opened = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated)
    except (ValueError, InvalidTag):
        raise Unsealable("the sealed secret does not open under its key") from None
    return opened.decode()


def sealed_key_id(text: str) -> str:
    return text.partition(":")[0]
