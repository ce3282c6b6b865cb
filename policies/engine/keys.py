"""Condition keys: AWS's global keys with their types, and which operators suit each type.

Standard library only. The global keys and their types follow AWS's reference "AWS global
condition context keys" (IAM User Guide); `aws:EpochTime` is a date that AWS also accepts as
a number of seconds since 1970, so it takes both kinds of operator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

GLOBAL_CONDITION_KEYS: tuple[tuple[str, str], ...] = (
    # Properties of the principal
    ("aws:PrincipalArn", "ARN"),
    ("aws:PrincipalAccount", "String"),
    ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalOrgID", "String"),
    ("aws:PrincipalTag/${TagKey}", "String"),
    ("aws:PrincipalIsAWSService", "Bool"),
    ("aws:PrincipalServiceName", "String"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"),
    ("aws:PrincipalType", "String"),
    ("aws:userid", "String"),
    ("aws:username", "String"),
    # Properties of a role session
    ("aws:AssumedRoot", "Bool"),
    ("aws:FederatedProvider", "String"),
    ("aws:TokenIssueTime", "Date"),
    ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:MultiFactorAuthPresent", "Bool"),
    ("aws:ChatbotSourceArn", "ARN"),
    ("aws:Ec2InstanceSourceVpc", "String"),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress"),
    ("aws:SourceIdentity", "String"),
    # Properties of the network
    ("aws:SourceIp", "IPAddress"),
    ("aws:SourceVpc", "String"),
    ("aws:SourceVpcArn", "ARN"),
    ("aws:SourceVpce", "String"),
    ("aws:VpceAccount", "String"),
    ("aws:VpceOrgID", "String"),
    ("aws:VpceOrgPaths", "ArrayOfString"),
    ("aws:VpcSourceIp", "IPAddress"),
    # Properties of the resource
    ("aws:ResourceAccount", "String"),
    ("aws:ResourceOrgID", "String"),
    ("aws:ResourceOrgPaths", "ArrayOfString"),
    ("aws:ResourceTag/${TagKey}", "String"),
    # Properties of the request
    ("aws:CalledVia", "ArrayOfString"),
    ("aws:CalledViaFirst", "String"),
    ("aws:CalledViaLast", "String"),
    ("aws:ViaAWSService", "Bool"),
    ("aws:CurrentTime", "Date"),
    ("aws:EpochTime", "Date"),
    ("aws:referer", "String"),
    ("aws:RequestedRegion", "String"),
    ("aws:RequestTag/${TagKey}", "String"),
    ("aws:TagKeys", "ArrayOfString"),
    ("aws:SecureTransport", "Bool"),
    ("aws:SourceAccount", "String"),
    ("aws:SourceArn", "ARN"),
    ("aws:SourceOrgID", "String"),
    ("aws:SourceOrgPaths", "ArrayOfString"),
    ("aws:UserAgent", "String"),
)

# Operator families (the engine's names, as in document.OPERATORS) that compare each type of
# key as AWS means it to be compared. A String key may be compared with ARN operators and an
# ARN key with string ones, as AWS's own policies do; Null suits every key.
FAMILIES_BY_TYPE: dict[str, frozenset[str]] = {
    "String": frozenset({"String", "Arn"}),
    "ARN": frozenset({"Arn", "String"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date"}),
    "Bool": frozenset({"Bool"}),
    "IPAddress": frozenset({"Ip"}),
    "Binary": frozenset({"Binary"}),
}
_EXTRA_FAMILIES = {"aws:epochtime": frozenset({"Numeric"})}
OPERATORS_BY_FAMILY = {
    "String": "StringEquals, StringLike and their negations",
    "Arn": "ArnEquals, ArnLike and their negations",
    "Numeric": "NumericEquals, NumericLessThan and the other Numeric operators",
    "Date": "DateEquals, DateLessThan and the other Date operators",
    "Bool": "Bool",
    "Ip": "IpAddress or NotIpAddress",
    "Binary": "BinaryEquals",
}


def template_prefix(key: str) -> str | None:
    """`aws:ResourceTag/` for `aws:ResourceTag/${TagKey}` (or AWS's `<key>` form); None for a plain key."""
    head, slash, rest = key.partition("/")
    return (head + slash).lower() if slash and rest.startswith(("${", "<")) else None


class KeyTable:
    """Condition keys to their types (None when unknown), matched without regard to case;
    a templated key (`aws:PrincipalTag/${TagKey}`) stands for every key with its prefix."""

    def __init__(self, keys: Iterable[tuple[str, str | None]] = ()) -> None:
        self.exact: dict[str, str | None] = {}
        self.prefixes: dict[str, str | None] = {}
        self.add(keys)

    def add(self, keys: Iterable[tuple[str, str | None]]) -> None:
        for key, key_type in keys:
            prefix = template_prefix(key)
            if prefix is not None:
                self.prefixes[prefix] = key_type
            else:
                self.exact[key.lower()] = key_type

    def __contains__(self, key: str) -> bool:
        lowered = key.lower()
        return lowered in self.exact or self._prefix(lowered) is not None

    def type_of(self, key: str) -> str | None:
        lowered = key.lower()
        if lowered in self.exact:
            return self.exact[lowered]
        prefix = self._prefix(lowered)
        return self.prefixes[prefix] if prefix is not None else None

    def _prefix(self, lowered: str) -> str | None:
        head, slash, rest = lowered.partition("/")
        return head + slash if slash and rest and head + slash in self.prefixes else None


GLOBAL_KEYS = KeyTable(GLOBAL_CONDITION_KEYS)


def families_for(key: str, key_type: str) -> frozenset[str] | None:
    """The operator families that suit a key of this type; None for a type not known here."""
    base = key_type.removeprefix("ArrayOf")
    families = FAMILIES_BY_TYPE.get(base)
    if families is None:
        return None
    return families | _EXTRA_FAMILIES.get(key.lower(), frozenset())


def key_table(types: Mapping[str, str] | None) -> KeyTable:
    """The global keys' table, with the given (service) keys' types added."""
    table = KeyTable(GLOBAL_CONDITION_KEYS)
    table.add((types or {}).items())
    return table
