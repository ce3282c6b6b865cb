"""AWS's Query protocol: form parameters in, XML out, errors as AWS writes them.

ERRORS is the one table of error codes and statuses (docs/aws-api.md shows it whole).
"""

import uuid
from datetime import datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from django.http import HttpResponse

NAMESPACES = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/", "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}

# code: (HTTP status, Sender or Receiver)
ERRORS = {
    "NoSuchEntity": (404, "Sender"),
    "EntityAlreadyExists": (409, "Sender"),
    "LimitExceeded": (409, "Sender"),
    "DeleteConflict": (409, "Sender"),
    "MalformedPolicyDocument": (400, "Sender"),
    "InvalidInput": (400, "Sender"),
    "ValidationError": (400, "Sender"),
    "InvalidAction": (400, "Sender"),
    "MissingAction": (400, "Sender"),
    "MissingParameter": (400, "Sender"),
    "InvalidParameterValue": (400, "Sender"),
    "MissingAuthenticationToken": (403, "Sender"),
    "InvalidClientTokenId": (403, "Sender"),
    "SignatureDoesNotMatch": (403, "Sender"),
    "IncompleteSignature": (400, "Sender"),
    "ExpiredToken": (400, "Sender"),
    "AccessDenied": (403, "Sender"),
    "Throttling": (400, "Sender"),
    "ConcurrentModification": (409, "Sender"),
    "ServiceUnavailable": (503, "Receiver"),
}


class AWSError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def request_id() -> str:
    return str(uuid.uuid4())


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _fill(parent: Element, value) -> None:
    """A dict is members by name, a list its items as <member>, anything else text."""
    if isinstance(value, dict):
        for name, item in value.items():
            if item is not None:
                _fill(SubElement(parent, name), item)
    elif isinstance(value, list):
        for item in value:
            _fill(SubElement(parent, "member"), item)
    else:
        parent.text = _text(value)


def _xml(root: Element, status: int, rid: str) -> HttpResponse:
    response = HttpResponse(tostring(root, encoding="unicode"), content_type="text/xml", status=status)
    response["x-amzn-RequestId"] = rid
    return response


def answer(service: str, action: str, result: dict | None) -> HttpResponse:
    rid = request_id()
    root = Element(f"{action}Response", xmlns=NAMESPACES[service])
    if result is not None:
        _fill(SubElement(root, f"{action}Result"), result)
    _fill(SubElement(root, "ResponseMetadata"), {"RequestId": rid})
    return _xml(root, 200, rid)


def error(service: str, code: str, message: str, headers: dict | None = None) -> HttpResponse:
    status, kind = ERRORS[code]
    rid = request_id()
    root = Element("ErrorResponse", xmlns=NAMESPACES.get(service, NAMESPACES["iam"]))
    _fill(SubElement(root, "Error"), {"Type": kind, "Code": code, "Message": message})
    _fill(root, {"RequestId": rid})
    response = _xml(root, status, rid)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
