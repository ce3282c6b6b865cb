"""The OpenAPI document's part for /api/v1/access-requests (access.api), which policies.openapi
adds through IAM_API_DOCUMENT_PARTS."""

from policies.openapi import errors, json_body, ok

_STRINGS = {"type": "array", "items": {"type": "string"}}
_MOMENT = {"type": ["string", "null"], "format": "date-time"}
_ONE = {"$ref": "#/components/schemas/AccessRequest"}
_LIST = {"$ref": "#/components/schemas/AccessRequests"}
_ID = [{"name": "pk", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}]

_NEW = {
    "type": "object",
    "required": ["kind", "justification", "duration_seconds"],
    "additionalProperties": False,
    "properties": {
        "kind": {"enum": ["group", "role", "permission"]},
        "group": {"type": "string", "description": "For kind group: the group's ARN or name."},
        "role": {"type": "string", "description": "For kind role: the role's ARN or name."},
        "actions": {"oneOf": [{"type": "string"}, _STRINGS], "description": "For kind permission."},
        "resources": {"oneOf": [{"type": "string"}, _STRINGS], "description": "For kind permission: ARNs."},
        "context": {
            "type": "object",
            "additionalProperties": {"oneOf": [{"type": "string"}, _STRINGS]},
            "description": "Condition key values the policies need.",
        },
        "justification": {"type": "string", "maxLength": 2000},
        "duration_seconds": {"type": ["integer", "null"], "description": "Null: until revoked, where allowed."},
    },
}
_REQUEST = {
    "type": "object",
    "required": ["id", "arn", "state", "kind", "requester", "requested_as", "approvals", "granted"],
    "properties": {
        "id": {"type": "integer"},
        "arn": {"type": "string"},
        "state": {"enum": ["pending", "approved", "denied", "cancelled", "expired", "revoked", "ended"]},
        "kind": {"enum": ["group", "role", "permission"]},
        "requester": {"type": "string", "description": "The user who asked."},
        "requested_as": {"type": "string", "description": "The principal that asked: the user or a role session."},
        "group": {"type": ["string", "null"]},
        "role": {"type": ["string", "null"]},
        "actions": _STRINGS,
        "resources": _STRINGS,
        "context": {"type": "object"},
        "justification": {"type": "string"},
        "duration_seconds": {"type": ["integer", "null"]},
        "created_at": _MOMENT,
        "decide_by": _MOMENT,
        "decided_at": _MOMENT,
        "decided_by": {"type": ["string", "null"]},
        "expires_at": {**_MOMENT, "description": "When the grant ends; null for never (or not granted)."},
        "reason": {"type": "string"},
        "approvals": {
            "type": "array",
            "items": {"type": "object", "properties": {"approver": {"type": "string"}, "at": _MOMENT}},
        },
        "granted": {"type": ["string", "null"], "description": "The group, role or policy granted, while held."},
    },
}
_DECISION = {
    "type": "object",
    "required": ["decision"],
    "properties": {
        "decision": {"enum": ["approve", "deny"]},
        "reason": {"type": "string", "description": "Required to deny."},
        "duration_seconds": {"type": ["integer", "null"], "description": "Approve for less than was asked."},
    },
}
_BEYOND = {"type": "object", "properties": {"action": {"type": "string"}, "resources": _STRINGS}}
_PROPOSALS = {
    "type": "object",
    "required": ["proposals", "gains_beyond_request"],
    "properties": {
        "proposals": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"enum": ["group", "role", "statement"]},
                    "arn": {"type": ["string", "null"]},
                    "name": {"type": "string"},
                    "beyond_request": {"type": "array", "items": _BEYOND},
                },
            },
        },
        "gains_beyond_request": {
            "type": "array",
            "items": {"type": "object", "properties": {"action": {"type": "string"}, "resource": {"type": "string"}}},
        },
    },
}
_REASON = {"type": "object", "properties": {"reason": {"type": "string"}}}


MISSING = "No such request of the caller's or for them to decide"


def _action(operation: str, summary: str, body: dict | None = None) -> dict:
    described = {
        "operationId": operation,
        "summary": summary,
        "parameters": _ID,
        "responses": ok(_ONE, "The request now") | errors(400, 401, 403, 404, 405, 413, 415, 503, missing=MISSING),
    }
    return {"post": described | ({"requestBody": json_body(body)} if body is not None else {})}


def document_part() -> dict:
    common = (400, 401, 403, 405, 413, 415, 503)
    created = {"201": {**ok(_ONE, "")["200"], "description": "The request, open"}}
    return {
        "paths": {
            "/access-requests": {
                "get": {
                    "operationId": "listOwnAccessRequests",
                    "summary": "The caller's own access requests, newest first",
                    "responses": ok(_LIST, "Their requests") | errors(401, 403, 405, 503),
                },
                "post": {
                    "operationId": "createAccessRequest",
                    "summary": "Ask for membership in a group, an assignment of a role, or actions on resources",
                    "requestBody": json_body({"$ref": "#/components/schemas/NewAccessRequest"}),
                    "responses": created | errors(*common, 404, missing="No such group or role"),
                },
            },
            "/access-requests/to-decide": {
                "get": {
                    "operationId": "listAccessRequestsToDecide",
                    "summary": "Open requests of others that the caller's policies let them decide",
                    "responses": ok(_LIST, "The requests") | errors(401, 403, 405, 503),
                }
            },
            "/access-requests/{pk}": {
                "get": {
                    "operationId": "getAccessRequest",
                    "summary": "One request, the caller's own or one they may decide",
                    "parameters": _ID,
                    "responses": ok(_ONE, "The request") | errors(401, 403, 404, 405, 503, missing=MISSING),
                }
            },
            "/access-requests/{pk}/proposals": {
                "get": {
                    "operationId": "proposeAccessGrants",
                    "summary": "What would grant a request, smallest first, and what its requester would gain beyond",
                    "parameters": _ID,
                    "responses": ok({"$ref": "#/components/schemas/AccessProposals"}, "The proposals")
                    | errors(401, 403, 404, 405, 503, missing=MISSING),
                }
            },
            "/access-requests/{pk}/cancel": _action("cancelAccessRequest", "Cancel one's own open request"),
            "/access-requests/{pk}/decision": _action(
                "decideAccessRequest",
                "Approve (optionally for less time) or deny another person's request",
                {"$ref": "#/components/schemas/AccessRequestDecision"},
            ),
            "/access-requests/{pk}/end": _action("endAccessGrant", "End one's own grant before its expiry"),
            "/access-requests/{pk}/revoke": _action("revokeAccessGrant", "Take another person's grant back", _REASON),
        },
        "schemas": {
            "NewAccessRequest": _NEW,
            "AccessRequest": _REQUEST,
            "AccessRequests": {
                "type": "object",
                "required": ["requests"],
                "properties": {"requests": {"type": "array", "items": _REQUEST}},
            },
            "AccessRequestDecision": _DECISION,
            "AccessProposals": _PROPOSALS,
        },
    }
