"""Typed condition values: numbers, dates, IP networks, base64, booleans.

Shared by validation (to report unfit policy values) and by conditions (to
compare request values), so both agree on what a value means.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import ipaddress
import operator as operators
import re

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")
_INTEGER = re.compile(r"[+-]?\d+\Z")
_EPOCH = re.compile(r"[+-]?\d+(?:\.\d+)?\Z")

COMPARISONS = {
    "Equals": operators.eq,
    "NotEquals": operators.eq,
    "LessThan": operators.lt,
    "LessThanEquals": operators.le,
    "GreaterThan": operators.gt,
    "GreaterThanEquals": operators.ge,
}


@functools.lru_cache(maxsize=4096)
def parse_number(text: str) -> int | float | None:
    """An integer stays exact; other numbers are floats; None when not a number."""
    if _INTEGER.match(text) and len(text) < 4000:  # Python refuses longer integer text
        return int(text)
    if _NUMBER.match(text):
        value = float(text)
        return value if value not in (float("inf"), float("-inf")) else None
    return None


@functools.lru_cache(maxsize=4096)
def parse_date(text: str) -> float | None:
    """ISO 8601 (UTC unless an offset is given) or epoch seconds, as an instant."""
    if _EPOCH.match(text):
        return float(text)
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError):
        return None


@functools.lru_cache(maxsize=4096)
def parse_network(text: str):
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def parse_address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_bool(text: str) -> bool | None:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


PARSERS = {
    "Numeric": parse_number,
    "Date": parse_date,
    "Ip": parse_network,
    "Binary": parse_binary,
    "Bool": parse_bool,
    "Null": parse_bool,
}
_KIND_NAMES = {
    "Numeric": "a number",
    "Date": "an ISO 8601 date or epoch seconds",
    "Ip": "an IP address or CIDR block",
    "Binary": "base64 text",
    "Bool": '"true" or "false"',
    "Null": '"true" or "false"',
}
WITH_VARIABLES = ("String", "Arn", "Bool")


def value_problem(family: str, text: str) -> str | None:
    """Why a policy value is unfit for its operator family, or None."""
    parser = PARSERS.get(family)
    if parser is None or (family == "Bool" and "${" in text):
        return None
    if parser(text) is None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        return f"{shown!r} is not {_KIND_NAMES[family]}"
    return None
