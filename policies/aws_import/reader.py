"""Reading what `aws iam get-account-authorization-details` prints, without touching the database.

Every problem is collected with its place (a JSON path such as `UserDetailList[3].UserName`,
or line and column when the text is not JSON) and the whole file is refused at once.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from identities import jsoninput, naming
from identities.models import (
    GROUP_NAME_MAX_LENGTH,
    REGION_MAX_LENGTH,
    ROLE_NAME_MAX_LENGTH,
    USER_NAME_MAX_LENGTH,
    Membership,
)
from policies.aws_import.details import (
    AccountDetails,
    AssignmentDetail,
    Extension,
    GroupDetail,
    GuardrailDetail,
    IdentityPolicies,
    MembershipDetail,
    PolicyDetail,
    RoleDetail,
    Skipped,
    UserDetail,
)
from policies.engine import Level, PolicyKind, policy_size, validate_policy
from policies.models import AWS_POLICY_PREFIX, POLICY_NAME_MAX_LENGTH

_UNIQUE_ID = re.compile(r"[A-Z0-9]{1,32}")
_VERSION_ID = re.compile(r"v([1-9][0-9]*)")
# A region's name as AWS writes them: us-east-1, ap-southeast-2, us-gov-west-1.
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
# The whole of AWS's partition: our ARNs are arn:aws:..., so aws-cn or aws-us-gov files do not fit.
_ARN = re.compile(r"arn:aws:iam::(?P<account>\d{12}|aws):(?P<rest>.+)")
_NO_LIMIT = 10**9
# This console's own data in a file of AWS's format; AWS's tools read only the keys they know.
EXTENSION = "IamconsoleExtension"


class ImportRefused(ValidationError):
    """The file cannot be imported; `messages` lists every problem, each with its place."""


class Problems:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.messages.append(f"{where}: {message}" if where else message)

    def refuse_if_any(self) -> None:
        if self.messages:
            raise ImportRefused(self.messages)


_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_KINDS = {"UserDetailList": "user", "GroupDetailList": "group", "RoleDetailList": "role", "Policies": "policy"}
_NAME_KEYS = {"user": "UserName", "group": "GroupName", "role": "RoleName", "policy": "PolicyName"}


def read_authorization_details(source: str | bytes | list, *, skip_invalid: bool = False) -> AccountDetails:
    """Parse and check the whole file; raise ImportRefused listing every problem.

    `source` is one file, or several pages of one answer (a list of files, or one file holding
    a JSON list of pages), read as one account. With `skip_invalid`, an entity with a problem
    is left out and listed in `skipped` with its reasons; only a file that cannot be read at
    all is refused."""
    pages = _pages(source)
    problems, skipped, notes = Problems(), [], []
    if pages[-1][1].get("IsTruncated") is True:
        message = "the file is one page of a longer answer; run the command without --max-items or --no-paginate"
        if skip_invalid:
            notes.append(f"{message}: what the missing pages hold is not imported, nor what refers to it")
        else:
            problems.add(f"{pages[-1][0]}IsTruncated", message)
    read = {"UserDetailList": _read_user, "GroupDetailList": _read_group, "RoleDetailList": _read_role}
    read["Policies"] = _read_policy
    found: dict[str, list] = {key: [] for key in _LISTS}
    # Problems of the file's shape, not of one entity: nothing can be skipped for them.
    shape = Problems()
    for prefix, data in pages:
        for key in _LISTS:
            found[key] += _read_list(data, key, read[key], problems, skipped, prefix, shape)
    if skip_invalid:
        shape.refuse_if_any()
    account_id = _account_id(found, problems, skipped, skip_invalid=skip_invalid)
    _check_unique(found, problems, skipped)
    # A guardrail restricts everyone: a file whose guardrails cannot all be read is refused.
    guardrail_problems = Problems()
    extension = _read_extension(pages, problems, guardrail_problems, skipped)
    if skip_invalid:
        guardrail_problems.refuse_if_any()
    else:
        problems.messages += guardrail_problems.messages
        problems.refuse_if_any()
    return AccountDetails(
        account_id,
        *(tuple(found[key]) for key in _LISTS),
        skipped=tuple(skipped) if skip_invalid else (),
        notes=tuple(notes),
        extension=extension,
    )


def _pages(source: str | bytes | list) -> list[tuple[str, dict]]:
    """Each page with the prefix its places get: none for a single page."""
    pages = []
    for text in source if isinstance(source, list) else [source]:
        data = _load_json(text)
        pages += data if isinstance(data, list) else [data]
    if not pages or not all(isinstance(page, dict) for page in pages):
        raise ImportRefused(
            "The file is not the output of get-account-authorization-details: expected a JSON object "
            "(or a list of the objects of several pages)."
        )
    if len(pages) == 1:
        return [("", pages[0])]
    for number, page in enumerate(pages[:-1], start=1):
        if page.get("IsTruncated") is not True:
            raise ImportRefused(
                f"Page {number} of {len(pages)} says no page follows (IsTruncated is not true); "
                "give the pages in the order the command printed them."
            )
    return [(f"page {number}: ", page) for number, page in enumerate(pages, start=1)]


def _load_json(source: str | bytes) -> dict | list:
    try:
        text = source.decode("utf-8-sig") if isinstance(source, bytes) else source.removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise ImportRefused(f"The file is not UTF-8 text (byte {error.start}).") from error
    try:
        data = jsoninput.loads(text)
    except jsoninput.TooDeep as error:
        raise ImportRefused(f"The file is {error}.") from error
    except json.JSONDecodeError as error:
        raise ImportRefused(f"The file is not JSON: line {error.lineno}, column {error.colno}: {error.msg}.") from error
    if not isinstance(data, dict | list):
        raise ImportRefused("The file is not the output of get-account-authorization-details: expected a JSON object.")
    return data


def _read_list(data: dict, key: str, read, problems: Problems, skipped: list, prefix: str, shape: Problems) -> list:
    items = data.get(key, [])
    if not isinstance(items, list):
        problems.add(f"{prefix}{key}", "expected a list")
        shape.add(f"{prefix}{key}", "expected a list")
        return []
    found = []
    for index, item in enumerate(items):
        where = f"{prefix}{key}[{index}]"
        own = Problems()
        if isinstance(item, dict):
            detail = read(item, where, own)
        else:
            own.add(where, "expected an object")
        problems.messages += own.messages
        if own.messages:
            skipped.append(_skipped(_KINDS[key], item, where, own.messages))
        else:
            found.append(detail)
    return found


def _skipped(kind: str, item: object, where: str, reasons: list[str]) -> Skipped:
    """What can be told of an entity that is not imported: its ARN (or else its place) and name."""
    item = item if isinstance(item, dict) else {}
    arn, name = item.get("Arn"), item.get(_NAME_KEYS[kind])
    return Skipped(
        kind,
        arn if isinstance(arn, str) and arn else where,
        tuple(reasons),
        name=name if isinstance(name, str) else "",
        restricts=kind != "policy" or _may_restrict(item),
    )


def _may_restrict(item: dict) -> bool:
    """Whether any version of a policy that is not imported has a Deny, or it cannot be told."""
    for entry in item.get("PolicyVersionList") or [None]:
        document = entry.get("Document") if isinstance(entry, dict) else None
        if isinstance(document, str):
            try:
                document = json.loads(urllib.parse.unquote(document))
            except ValueError:
                return True
        statements = document.get("Statement") if isinstance(document, dict) else None
        statements = [statements] if isinstance(statements, dict) else statements
        if not isinstance(statements, list):
            return True
        if any(not isinstance(statement, dict) or statement.get("Effect") != "Allow" for statement in statements):
            return True
    return False


# Fields


def _text(item: dict, key: str, where: str, problems: Problems, *, default: str | None = None) -> str:
    value = item.get(key, default)
    if not isinstance(value, str):
        problems.add(f"{where}.{key}", "missing" if key not in item else "expected text")
        return ""
    return value


def _checked(check, value: str, where: str, problems: Problems) -> str:
    try:
        check(value)
    except ValidationError as error:
        for message in error.messages:
            problems.add(where, message)
    return value


def _name(item: dict, key: str, where: str, problems: Problems, *, max_length: int, kind: str) -> str:
    value = _text(item, key, where, problems)
    if value:
        _checked(
            lambda text: naming.validate_name(text, max_length=max_length, kind=kind), value, f"{where}.{key}", problems
        )
    return value


def _path(item: dict, where: str, problems: Problems) -> str:
    value = _text(item, "Path", where, problems, default="/")
    return _checked(naming.validate_path, value, f"{where}.Path", problems) if value else "/"


def _unique_id(item: dict, key: str, where: str, problems: Problems) -> str:
    value = _text(item, key, where, problems)
    if value and not _UNIQUE_ID.fullmatch(value):
        problems.add(f"{where}.{key}", f"a unique ID is 1 to 32 capital letters and digits; {value!r} is not")
    return value


def _arn(item: dict, kind: str, path: str, name: str, where: str, problems: Problems) -> str:
    """The ARN must be the one AWS builds from the path and name."""
    value = _text(item, "Arn", where, problems)
    match = _ARN.fullmatch(value)
    expected = f"{kind}{path}{name}"
    if value and (match is None or match["rest"] != expected):
        problems.add(f"{where}.Arn", f"{value!r} is not arn:aws:iam::<account>:{expected}")
    elif value and kind != "policy" and match["account"] == "aws":
        # Only policies live in AWS's own account: a user or group there is a foreign ARN.
        problems.add(f"{where}.Arn", f"{value!r} is not of an account: a {kind} ARN needs a 12-digit account ID")
    return value


def _tags(item: dict, where: str, problems: Problems) -> dict[str, str]:
    tags: dict[str, str] = {}
    for index, tag in enumerate(_list(item, "Tags", where, problems)):
        place = f"{where}.Tags[{index}]"
        if not isinstance(tag, dict) or not isinstance(tag.get("Key"), str) or not isinstance(tag.get("Value"), str):
            problems.add(place, "a tag is an object with a Key and a Value, both text")
        elif tag["Key"] in tags:
            problems.add(place, f"the key {tag['Key']!r} appears twice")
        else:
            tags[tag["Key"]] = tag["Value"]
    _checked(naming.validate_tags, tags, f"{where}.Tags", problems)
    return tags


def _list(item: dict, key: str, where: str, problems: Problems) -> list:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(f"{where}.{key}", "expected a list")
        return []
    return value


# Documents


def _document(value: object, where: str, problems: Problems, *, kind: PolicyKind, size_limit: int | None) -> dict:
    """A JSON object as the CLI prints it, or URL-encoded JSON text as the API returns it."""
    if isinstance(value, str):
        try:
            value = jsoninput.loads(urllib.parse.unquote(value))
        except jsoninput.TooDeep as error:
            problems.add(where, f"the policy document is {error}")
            return {}
        except json.JSONDecodeError as error:
            problems.add(where, f"not a JSON policy document (line {error.lineno}, column {error.colno}: {error.msg})")
            return {}
    if not isinstance(value, dict):
        problems.add(where, "a policy document is a JSON object or URL-encoded JSON text")
        return {}
    for finding in validate_policy(value, kind=kind, size_limit=size_limit):
        if finding.level is Level.ERROR:
            place = f"{where}.{finding.path}" if finding.path else where
            problems.add(place, f"{finding.code}: {finding.message}")
    return value


def _identity_policies(item: dict, owner: str, where: str, problems: Problems) -> IdentityPolicies:
    list_key = {"user": "UserPolicyList", "group": "GroupPolicyList", "role": "RolePolicyList"}[owner]
    inline = _inline_policies(item, list_key, where, problems)
    total = sum(policy_size(document) for document in inline.values())
    limit = settings.IAM_INLINE_POLICY_MAX_SIZE[owner]
    if total > limit:
        problems.add(f"{where}.{list_key}", f"the inline policies total {total} characters; a {owner} may have {limit}")
    attached = _attached(item, where, problems)
    boundary = _boundary(item, where, problems) if owner != "group" else None
    return IdentityPolicies(inline, attached, boundary)


def _inline_policies(item: dict, key: str, where: str, problems: Problems) -> dict[str, dict]:
    inline: dict[str, dict] = {}
    for index, entry in enumerate(_list(item, key, where, problems)):
        place = f"{where}.{key}[{index}]"
        if not isinstance(entry, dict):
            problems.add(place, "expected an object")
            continue
        name = _name(entry, "PolicyName", place, problems, max_length=POLICY_NAME_MAX_LENGTH, kind="policy name")
        if name in inline:
            problems.add(f"{place}.PolicyName", f"{name!r} appears twice")
        document = entry.get("PolicyDocument")
        inline[name] = _document(
            document, f"{place}.PolicyDocument", problems, kind=PolicyKind.IDENTITY, size_limit=_NO_LIMIT
        )
    return inline


def _attached(item: dict, where: str, problems: Problems) -> tuple[str, ...]:
    arns: list[str] = []
    for index, entry in enumerate(_list(item, "AttachedManagedPolicies", where, problems)):
        place = f"{where}.AttachedManagedPolicies[{index}]"
        arn = _text(entry, "PolicyArn", place, problems) if isinstance(entry, dict) else ""
        if arn in arns:
            problems.add(f"{place}.PolicyArn", "attached twice")
        elif arn:
            arns.append(arn)
    limit = settings.IAM_MAX_ATTACHED_POLICIES
    if len(arns) > limit:
        problems.add(f"{where}.AttachedManagedPolicies", f"{len(arns)} policies attached; at most {limit} are allowed")
    return tuple(arns)


def _boundary(item: dict, where: str, problems: Problems) -> str | None:
    boundary = item.get("PermissionsBoundary")
    if boundary is None:
        return None
    place = f"{where}.PermissionsBoundary"
    if not isinstance(boundary, dict):
        problems.add(place, "expected an object")
        return None
    if boundary.get("PermissionsBoundaryType", "Policy") != "Policy":
        problems.add(f"{place}.PermissionsBoundaryType", "the only boundary type is Policy")
    return _text(boundary, "PermissionsBoundaryArn", place, problems) or None


# Entities


def _read_user(item: dict, where: str, problems: Problems) -> UserDetail:
    name = _name(item, "UserName", where, problems, max_length=USER_NAME_MAX_LENGTH, kind="user name")
    path = _path(item, where, problems)
    groups = _list(item, "GroupList", where, problems)
    if not all(isinstance(group, str) for group in groups):
        problems.add(f"{where}.GroupList", "expected a list of group names")
        groups = []
    if len(groups) > settings.IAM_MAX_GROUPS_PER_USER:
        problems.add(f"{where}.GroupList", f"{len(groups)} groups; at most {settings.IAM_MAX_GROUPS_PER_USER}")
    return UserDetail(
        name=name,
        path=path,
        iam_id=_unique_id(item, "UserId", where, problems),
        arn=_arn(item, "user", path, name, where, problems),
        groups=tuple(groups),
        policies=_identity_policies(item, "user", where, problems),
        tags=_tags(item, where, problems),
        create_date=_past_date(item, "CreateDate", where, problems),
    )


def _read_group(item: dict, where: str, problems: Problems) -> GroupDetail:
    name = _name(item, "GroupName", where, problems, max_length=GROUP_NAME_MAX_LENGTH, kind="group name")
    path = _path(item, where, problems)
    return GroupDetail(
        name=name,
        path=path,
        iam_id=_unique_id(item, "GroupId", where, problems),
        arn=_arn(item, "group", path, name, where, problems),
        policies=_identity_policies(item, "group", where, problems),
        create_date=_past_date(item, "CreateDate", where, problems),
    )


def _read_role(item: dict, where: str, problems: Problems) -> RoleDetail:
    name = _name(item, "RoleName", where, problems, max_length=ROLE_NAME_MAX_LENGTH, kind="role name")
    path = _path(item, where, problems)
    trust = item.get("AssumeRolePolicyDocument")
    # An empty object is a role that trusts no one (iamconsole's own exports can hold one).
    if trust != {}:
        trust = _document(trust, f"{where}.AssumeRolePolicyDocument", problems, kind=PolicyKind.TRUST, size_limit=None)
    profiles = _list(item, "InstanceProfileList", where, problems)
    create_date = _past_date(item, "CreateDate", where, problems)
    last_used_at, last_used_region = _role_last_used(item, create_date, where, problems)
    return RoleDetail(
        name=name,
        path=path,
        iam_id=_unique_id(item, "RoleId", where, problems),
        arn=_arn(item, "role", path, name, where, problems),
        trust_policy=trust,
        policies=_identity_policies(item, "role", where, problems),
        tags=_tags(item, where, problems),
        description=_optional_description(item, where, problems),
        max_session_duration=_max_session_duration(item, where, problems),
        instance_profiles=tuple(str(p.get("InstanceProfileName", "?")) for p in profiles if isinstance(p, dict)),
        create_date=create_date,
        last_used_at=last_used_at,
        last_used_region=last_used_region,
    )


def _role_last_used(
    item: dict, create_date: datetime | None, where: str, problems: Problems
) -> tuple[datetime | None, str]:
    """AWS's RoleLastUsed: {} (or no key) when the role has not been used in AWS's tracking period."""
    value = item.get("RoleLastUsed")
    place = f"{where}.RoleLastUsed"
    if value is None:
        return None, ""
    if not isinstance(value, dict):
        problems.add(place, "expected an object")
        return None, ""
    moment = _past_date(value, "LastUsedDate", place, problems)
    region = _text(value, "Region", place, problems, default="")
    if region and (not _REGION.fullmatch(region) or len(region) > REGION_MAX_LENGTH):
        problems.add(f"{place}.Region", f"not the name of a region: {region!r}")
        region = ""
    if region and moment is None and "LastUsedDate" not in value:
        problems.add(place, "a Region of last use needs its LastUsedDate")
    if moment is not None and create_date is not None and moment < create_date:
        problems.add(f"{place}.LastUsedDate", "the role cannot have been used before its CreateDate")
    return moment, region


def _optional_description(item: dict, where: str, problems: Problems) -> str | None:
    if "Description" not in item:
        return None
    value = _text(item, "Description", where, problems)
    if len(value) > 1000:
        problems.add(f"{where}.Description", "a description is at most 1000 characters")
    return value


def _max_session_duration(item: dict, where: str, problems: Problems) -> int | None:
    value = item.get("MaxSessionDuration")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 3600 <= value <= 43200:
        problems.add(f"{where}.MaxSessionDuration", "a whole number of seconds from 3600 to 43200")
        return None
    return value


def _read_policy(item: dict, where: str, problems: Problems) -> PolicyDetail:
    name = _name(item, "PolicyName", where, problems, max_length=POLICY_NAME_MAX_LENGTH, kind="policy name")
    path = _path(item, where, problems)
    arn = _arn(item, "policy", path, name, where, problems)
    aws_managed = arn.startswith(f"{AWS_POLICY_PREFIX}/")
    versions, default_number, version_dates = _versions(item, where, problems, aws_managed=aws_managed)
    if not aws_managed and len(versions) > settings.IAM_MAX_POLICY_VERSIONS:
        limit = settings.IAM_MAX_POLICY_VERSIONS
        problems.add(f"{where}.PolicyVersionList", f"{len(versions)} versions; a policy may have {limit}")
    description = _optional_description(item, where, problems)
    return PolicyDetail(
        name=name,
        path=path,
        iam_id=_unique_id(item, "PolicyId", where, problems),
        arn=arn,
        aws_managed=aws_managed,
        description=description or "",
        versions=versions,
        default_number=default_number,
        create_date=_date(item, "CreateDate", where, problems),
        update_date=_date(item, "UpdateDate", where, problems),
        version_dates=version_dates,
    )


def _date(item: dict, key: str, where: str, problems: Problems) -> datetime | None:
    """AWS's dates: ISO 8601 with a zone, as the CLI prints them (...Z, +00:00, or a space for T)."""
    value = item.get(key)
    if value is None:
        return None
    moment = None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        problems.add(f"{where}.{key}", f"not a date and time with its zone: {value!r}")
        return None
    return moment


def _past_date(item: dict, key: str, where: str, problems: Problems) -> datetime | None:
    """A date of what already happened: a later one than now is a problem of the file."""
    moment = _date(item, key, where, problems)
    if moment is not None and moment > timezone.now():
        problems.add(f"{where}.{key}", f"{item[key]!r} is in the future")
        return None
    return moment


def _versions(item: dict, where: str, problems: Problems, *, aws_managed: bool) -> tuple[tuple, int, tuple]:
    size_limit = _NO_LIMIT if aws_managed else settings.IAM_MANAGED_POLICY_MAX_SIZE
    versions: dict[int, dict] = {}
    dates: dict[int, datetime | None] = {}
    defaults = []
    for index, entry in enumerate(_list(item, "PolicyVersionList", where, problems)):
        place = f"{where}.PolicyVersionList[{index}]"
        if not isinstance(entry, dict):
            problems.add(place, "expected an object")
            continue
        number = _version_number(_text(entry, "VersionId", place, problems), f"{place}.VersionId", problems)
        if number in versions:
            problems.add(f"{place}.VersionId", f"v{number} appears twice")
        document = entry.get("Document")
        versions[number] = _document(
            document, f"{place}.Document", problems, kind=PolicyKind.IDENTITY, size_limit=size_limit
        )
        dates[number] = _date(entry, "CreateDate", place, problems)
        if entry.get("IsDefaultVersion") is True:
            defaults.append(number)
    default_number = _version_number(
        _text(item, "DefaultVersionId", where, problems), f"{where}.DefaultVersionId", problems
    )
    if not versions:
        problems.add(f"{where}.PolicyVersionList", "a managed policy needs at least one version")
    elif defaults != [default_number] or default_number not in versions:
        problems.add(f"{where}.DefaultVersionId", "must name the one version marked IsDefaultVersion")
    return tuple(sorted(versions.items())), default_number, tuple(sorted(dates.items()))


def _version_number(value: str, where: str, problems: Problems) -> int:
    match = _VERSION_ID.fullmatch(value)
    if match is None:
        if value:
            problems.add(where, f"a version ID is v followed by a number, not {value!r}")
        return 0
    return int(match[1])


# This console's own section


def _read_extension(pages, problems: Problems, guardrail_problems: Problems, skipped: list) -> Extension | None:
    sections = [(prefix, data[EXTENSION]) for prefix, data in pages if EXTENSION in data]
    if not sections:
        return None
    assignments, guardrails, memberships = [], [], []
    for prefix, section in sections:
        where = f"{prefix}{EXTENSION}"
        if not isinstance(section, dict):
            guardrail_problems.add(where, "expected an object")
            continue
        for index, item in enumerate(_list(section, "RoleAssignments", where, guardrail_problems)):
            place = f"{where}.RoleAssignments[{index}]"
            own = Problems()
            assignment = _read_assignment(item, place, own)
            problems.messages += own.messages
            if own.messages:
                skipped.append(Skipped("role assignment", place, tuple(own.messages)))
            else:
                assignments.append(assignment)
        for index, item in enumerate(_list(section, "GroupMemberships", where, problems)):
            memberships.append(_read_membership(item, f"{where}.GroupMemberships[{index}]", problems))
        for index, item in enumerate(_list(section, "Guardrails", where, guardrail_problems)):
            guardrails.append(_read_guardrail(item, f"{where}.Guardrails[{index}]", guardrail_problems))
    names = [guardrail.name.lower() for guardrail in guardrails]
    for name in {name for name in names if names.count(name) > 1}:
        guardrail_problems.add(f"{EXTENSION}.Guardrails", f"two guardrails are named {name!r}")
    return Extension(tuple(assignments), tuple(guardrails), tuple(memberships))


def _read_membership(item: object, where: str, problems: Problems) -> MembershipDetail:
    if not isinstance(item, dict):
        problems.add(where, "expected an object")
        return MembershipDetail("", "")
    source = item.get("Source", Membership.Source.MANUAL)
    if source not in Membership.Source.values:
        problems.add(f"{where}.Source", f"one of {', '.join(Membership.Source.values)}")
    return MembershipDetail(
        _name(item, "GroupName", where, problems, max_length=GROUP_NAME_MAX_LENGTH, kind="group name"),
        _name(item, "UserName", where, problems, max_length=USER_NAME_MAX_LENGTH, kind="user name"),
        _expiry(item, where, problems),
        source if isinstance(source, str) else "",
    )


def _read_assignment(item: object, where: str, problems: Problems) -> AssignmentDetail:
    if not isinstance(item, dict):
        problems.add(where, "expected an object")
        return AssignmentDetail("", "")
    return AssignmentDetail(
        _name(item, "RoleName", where, problems, max_length=ROLE_NAME_MAX_LENGTH, kind="role name"),
        _name(item, "UserName", where, problems, max_length=USER_NAME_MAX_LENGTH, kind="user name"),
        _expiry(item, where, problems),
    )


def _expiry(item: dict, where: str, problems: Problems) -> datetime | None:
    expires_at = None
    if item.get("ExpiresAt") is not None:
        text = _text(item, "ExpiresAt", where, problems)
        try:
            expires_at = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
        except ValueError:
            problems.add(f"{where}.ExpiresAt", f"not a date and time: {text!r}")
        if expires_at is not None and expires_at.tzinfo is None:
            problems.add(f"{where}.ExpiresAt", "needs its time zone (such as Z)")
            expires_at = None
    return expires_at


def _read_guardrail(item: object, where: str, problems: Problems) -> GuardrailDetail:
    if not isinstance(item, dict):
        problems.add(where, "expected an object")
        return GuardrailDetail("", 1, {})
    level = item.get("Level", 1)
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        problems.add(f"{where}.Level", "a whole number from 1")
    return GuardrailDetail(
        _name(item, "GuardrailName", where, problems, max_length=POLICY_NAME_MAX_LENGTH, kind="guardrail name"),
        level,
        _document(
            item.get("Document"),
            f"{where}.Document",
            problems,
            kind=PolicyKind.GUARDRAIL,
            size_limit=settings.IAM_GUARDRAIL_MAX_SIZE,
        ),
        _optional_description(item, where, problems) or "",
    )


# The file as a whole


def _account_id(found: dict[str, list], problems: Problems, skipped: list, *, skip_invalid: bool) -> str | None:
    """The one account the file's users, groups, roles and customer policies belong to. Read
    with skip_invalid, a file of several accounts keeps this console's, skipping the others."""
    accounts = {_ARN.fullmatch(item.arn)["account"] for key in _LISTS for item in found[key]} - {"aws"}
    if len(accounts) <= 1:
        return min(accounts) if accounts else None
    if not skip_invalid or settings.IAM_ACCOUNT_ID not in accounts:
        problems.add("", f"The file's ARNs name several accounts: {', '.join(sorted(accounts))}.")
        return min(accounts)
    kept = settings.IAM_ACCOUNT_ID
    for key in _LISTS:
        for item in list(found[key]):
            account = _ARN.fullmatch(item.arn)["account"]
            if account not in ("aws", kept):
                found[key].remove(item)
                reason = f"it belongs to account {account}, not to this console's account {kept}"
                skipped.append(Skipped(_KINDS[key], item.arn, (reason,), name=item.name))
    return kept


def _check_unique(found: dict[str, list], problems: Problems, skipped: list) -> None:
    """Names are unique without regard to case, IDs exactly (those of policies across customer
    and AWS managed ones), as in AWS: the first in the file keeps them, later ones are skipped."""
    name, unique_id = ("name", lambda item: item.name.lower()), ("ID", lambda item: item.iam_id)
    checks = (
        ("UserDetailList", "user", lambda item: True, (name, unique_id)),
        ("GroupDetailList", "group", lambda item: True, (name, unique_id)),
        ("RoleDetailList", "role", lambda item: True, (name, unique_id)),
        ("Policies", "customer managed policy", lambda item: not item.aws_managed, (name,)),
        ("Policies", "AWS managed policy", lambda item: item.aws_managed, (name,)),
        ("Policies", "policie", lambda item: True, (unique_id,)),
    )
    for key, kind, chosen, labels in checks:
        firsts: dict[tuple[str, str], object] = {}
        for item in [item for item in found[key] if chosen(item)]:
            clashes = []
            for label, value in labels:
                first = firsts.setdefault((label, value(item)), item)
                if first is not item:
                    problems.add(key, f"two {kind}s share the {label} of {item.name!r}")
                    clashes.append(f"its {label} is already that of {first.arn}, earlier in the file")
            if clashes:
                found[key].remove(item)
                skipped.append(Skipped(_KINDS[key], item.arn, tuple(clashes), name=item.name))
