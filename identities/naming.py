"""AWS's rules for IAM names, paths, tags and ARNs."""

import re
import secrets
import string
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

NAME_CHARACTERS = "letters, digits and + = , . @ _ -"
_NAME_RE = re.compile(r"[A-Za-z0-9+=,.@_-]+")
_PATH_RE = re.compile(r"/([!-~]+/)?")
_TAG_RE = re.compile(r"[\w\s.:/=+\-@]*", re.UNICODE)
PATH_MAX_LENGTH = 512
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256

# Prefixes of AWS's unique IDs, so aws:userid looks as it does in AWS.
ID_PREFIXES = {"user": "AIDA", "group": "AGPA", "role": "AROA", "policy": "ANPA"}
_ID_ALPHABET = string.ascii_uppercase + string.digits


# Characters that reorder how the text around them is shown (embeddings, overrides, isolates
# and marks): a name holding one can read as another, and a description can hide words.
BIDI_CONTROLS = frozenset(
    [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f", "\u061c"]
)


def validate_name(value: str, *, max_length: int, kind: str = "name") -> None:
    if not 1 <= len(value) <= max_length:
        raise ValidationError(
            f"A {kind} is 1 to {max_length} characters long; this one has {len(value)}.",
            code="name_length",
        )
    if not _NAME_RE.fullmatch(value):
        raise ValidationError(
            f"A {kind} may contain only {NAME_CHARACTERS}; {shown_safely(value)!r} has other characters: "
            f"{_described(value)}.{_hint(value)}",
            code="name_characters",
        )


def _hint(value: str) -> str:
    if BIDI_CONTROLS.intersection(value):
        return " A bidirectional control reorders how the text around it is shown, so a name never holds one."
    return "" if value.isascii() else " Only ASCII letters count, however alike others look."


def shown_safely(text: str) -> str:
    """The text with each bidirectional control written as its code point (U+202E), so that
    what is shown is what is stored."""
    return "".join(f"U+{ord(character):04X}" if character in BIDI_CONTROLS else character for character in text)


def _described(value: str, shown: int = 3) -> str:
    """Each character a name may not have, by code point and place (1-based) and with its
    Unicode name, so a look-alike (Cyrillic а for Latin a, a fullwidth m, the Kelvin sign) is
    seen for what it is; an invisible or reordering character is named, never shown."""
    first_places: dict[str, int] = {}
    for place, character in enumerate(value, start=1):
        if not _NAME_RE.fullmatch(character):
            first_places.setdefault(character, place)
    described = [
        f"U+{ord(character):04X} at position {place} ({_glyph(character)}{unicodedata.name(character, 'unnamed')})"
        for character, place in list(first_places.items())[:shown]
    ]
    more = len(first_places) - shown
    return ", ".join(described) + (f" and {more} more" if more > 0 else "")


def _glyph(character: str) -> str:
    visible = character not in BIDI_CONTROLS and unicodedata.category(character)[0] not in "CZ"
    return f"{character!r} " if visible else ""


def sign_in_key(name: str) -> str | None:
    """A typed name as names are compared (without regard to case), or None when it is not
    ASCII: no user has such a name, and Python's lower() and Django's NFKC would otherwise
    turn the Kelvin sign into k and a fullwidth ＭＩＡ into MIA, reaching kim or mia."""
    return name.lower() if name.isascii() else None


def validate_path(value: str) -> None:
    if len(value) > PATH_MAX_LENGTH:
        raise ValidationError(f"A path is at most {PATH_MAX_LENGTH} characters long.", code="path_length")
    if not _PATH_RE.fullmatch(value):
        raise ValidationError(
            "A path is / or starts and ends with / with printable ASCII between, "
            f"such as /division/team/; {value!r} is not.",
            code="path_format",
        )


def validate_tags(tags: object) -> None:
    if not isinstance(tags, dict):
        raise ValidationError("Tags are a mapping of keys to values.", code="tags_type")
    limit = settings.IAM_MAX_TAGS_PER_IDENTITY
    if len(tags) > limit:
        raise ValidationError(f"At most {limit} tags; there are {len(tags)}.", code="tags_count")
    seen: set[str] = set()
    for key, value in tags.items():
        _validate_tag(key, value)
        if key.lower() in seen:
            raise ValidationError(
                f"Tag keys differ only in case: {key!r}. Keys are unique without regard to case.",
                code="tags_duplicate",
            )
        seen.add(key.lower())


def _validate_tag(key: object, value: object) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= TAG_KEY_MAX_LENGTH:
        raise ValidationError(f"A tag key is 1 to {TAG_KEY_MAX_LENGTH} characters: {key!r}.", code="tag_key")
    if not isinstance(value, str) or len(value) > TAG_VALUE_MAX_LENGTH:
        raise ValidationError(
            f"The value of tag {key!r} is text of at most {TAG_VALUE_MAX_LENGTH} characters.",
            code="tag_value",
        )
    if key.lower().startswith("aws:"):
        raise ValidationError(f"Tag keys starting with aws: are reserved: {key!r}.", code="tag_key")
    for text in (key, value):
        if not _TAG_RE.fullmatch(text):
            raise ValidationError(
                f"Tags may contain letters, digits, spaces and _ . : / = + - @; {text!r} has others.",
                code="tag_characters",
            )


def build_arn(kind: str, path: str, name: str, *, account_id: str | None = None) -> str:
    """arn:aws:iam::<account>:<kind> + path + name, without doubling the slash."""
    account = account_id or settings.IAM_ACCOUNT_ID
    return f"arn:aws:iam::{account}:{kind}{path}{name}"


def issuer_name(url: str) -> str:
    """An OpenID provider's name as AWS gives it: its issuer URL without the scheme."""
    return url.split("://", 1)[-1]


def oidc_provider_arn(name: str, *, account_id: str | None = None) -> str:
    return f"arn:aws:iam::{account_id or settings.IAM_ACCOUNT_ID}:oidc-provider/{name}"


def validate_issuer_url(value: str) -> None:
    """https://host[:port][/path], no query, fragment, user or trailing slash; http only on
    loopback, and only where IAM_WEB_IDENTITY_ALLOW_HTTP_LOOPBACK allows it (tests)."""
    parts = urlsplit(value) if isinstance(value, str) else None
    loopback_http = (
        settings.IAM_WEB_IDENTITY_ALLOW_HTTP_LOOPBACK
        and parts is not None
        and parts.scheme == "http"
        and parts.hostname in ("127.0.0.1", "localhost", "::1")
    )
    if parts is None or not (parts.scheme == "https" or loopback_http):
        raise ValidationError("An issuer URL starts with https://.", code="issuer_scheme")
    if not parts.hostname or parts.query or parts.fragment or "@" in parts.netloc or value.endswith("/"):
        raise ValidationError(
            f"An issuer URL is https://host/path, without query, fragment, user or a final /; {value!r} is not.",
            code="issuer_format",
        )
    if not value.isascii() or any(character.isspace() or not character.isprintable() for character in value):
        raise ValidationError("An issuer URL is printable ASCII without spaces.", code="issuer_characters")


def validate_client_ids(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Client IDs are a list of texts.", code="client_ids_type")
    if len(value) > 100:
        raise ValidationError(f"At most 100 client IDs; there are {len(value)}.", code="client_ids_count")
    for item in value:
        if not 1 <= len(item) <= 255 or not item.isprintable():
            raise ValidationError(f"A client ID is 1 to 255 printable characters: {item!r}.", code="client_id")
    if len(set(value)) != len(value):
        raise ValidationError("A client ID is listed twice.", code="client_ids_duplicate")


def root_arn(account_id: str | None = None) -> str:
    return f"arn:aws:iam::{account_id or settings.IAM_ACCOUNT_ID}:root"


def new_unique_id(kind: str) -> str:
    return ID_PREFIXES[kind] + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def new_user_id() -> str:
    return new_unique_id("user")


def new_group_id() -> str:
    return new_unique_id("group")


def new_role_id() -> str:
    return new_unique_id("role")
