"""The OpenAPI document of /api/v1/, describing exactly what policies.api does."""

from django.conf import settings
from django.utils.module_loading import import_string

from policies.preview.requests import KINDS

_STRINGS = {"type": "array", "items": {"type": "string"}}
_CONTEXT = {
    "type": "object",
    "description": "Request keys (the caller's user's source IP, MFA, request tags, service keys) to a string "
    "or a list of strings. Principal keys and the time are derived by the server and refused here.",
    "additionalProperties": {"oneOf": [{"type": "string"}, _STRINGS]},
}
_REQUEST = {
    "type": "object",
    "required": ["principal", "action", "resource"],
    "properties": {
        "principal": {"type": "string", "description": "A user, role, role-session or root ARN."},
        "action": {"type": "string", "example": "storage:GetObject"},
        "resource": {"type": "string", "example": "arn:aws:storage:::dev-app/report.csv"},
        "context": _CONTEXT,
        "explain": {
            "type": "boolean",
            "default": False,
            "description": "Add near_misses to the answer (also allowed once at the top of a batch).",
        },
    },
}
_STATEMENT = {
    "type": "object",
    "required": ["layer", "policy", "statement_index", "sid", "effect"],
    "properties": {
        "layer": {"type": "string"},
        "policy": {
            "type": "string",
            "description": "The policy's ARN and version, or an inline policy's owner and name.",
        },
        "statement_index": {"type": "integer"},
        "sid": {"type": ["string", "null"]},
        "effect": {"enum": ["Allow", "Deny"]},
    },
}
_NEAR_MISS = {
    "type": "object",
    "required": ["layer", "policy", "statement_index", "sid", "missed", "resources", "not_resource", "principal"],
    "properties": {
        "layer": {"type": "string"},
        "policy": {"type": "string"},
        "statement_index": {"type": "integer"},
        "sid": {"type": ["string", "null"]},
        "missed": _STRINGS,
        "resources": {**_STRINGS, "description": "The statement's Resource (or NotResource) when it missed."},
        "not_resource": {"type": "boolean"},
        "principal": {"type": "boolean", "description": "Whether its Principal did not name the caller."},
        "conditions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "operator": {"type": "string"},
                    "key": {"type": "string"},
                    "values": _STRINGS,
                    "given": {**_STRINGS, "description": "The request's values; empty when absent."},
                },
            },
        },
    },
}
_RESULT = {
    "type": "object",
    "required": ["decision", "deciding", "blocking_layers", "missing_context_keys", "conditional", "errors"],
    "properties": {
        "decision": {"enum": ["Allow", "ExplicitDeny", "ImplicitDeny"]},
        "deciding": {"type": "array", "items": _STATEMENT},
        "blocking_layers": _STRINGS,
        "missing_context_keys": _STRINGS,
        "conditional": {"type": "boolean"},
        "errors": _STRINGS,
        "near_misses": {
            "type": "array",
            "description": "Only with explain: for an implicit deny, the Allow statements that matched the action "
            "but missed the resource, the principal or conditions (missed names what: resource, principal, "
            "condition keys).",
            "items": _NEAR_MISS,
        },
    },
}
_ACCESS = {
    "description": "null: not allowed; []: allowed; otherwise conditions in words, any one of which allows it.",
    "oneOf": [{"type": "null"}, _STRINGS],
}
_MOVED = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["action", "resource", "before", "after"],
        "properties": {
            "action": {"type": "string"},
            "resource": {"type": "string", "description": "A resource ARN, or * for any resource."},
            "before": _ACCESS,
            "after": _ACCESS,
        },
    },
}
_DOCUMENT = {
    "description": "A policy document: a JSON object, or its text.",
    "oneOf": [{"type": "object"}, {"type": "string"}],
}
_PREVIEW_REQUEST = {
    "type": "object",
    "required": ["change"],
    "description": "The change and what it names, by ARN: each kind reads only the fields it needs "
    "(attach-policy, detach-policy: identity and policy; add-members, remove-members: group and users; "
    "create-policy-version: policy, document, set_as_default; set-default-version: policy and version; "
    "put-inline-policy: identity, policy_name, document; delete-inline-policy: identity and policy_name; "
    "set-permissions-boundary: identity and policy; delete-permissions-boundary: identity; save-guardrail: "
    "guardrail_name, document, level; delete-guardrail: guardrail_name; assign-role, unassign-role: role "
    "and user; assign-role-to-users: role and users; update-trust-policy: role and trust_policy; "
    "delete-policy: policy and detach_everywhere; replace-policies: identity, policy_name, document and "
    "replaced, the managed policies a new one takes the place of; delete-user, delete-group, delete-role: the one).",
    "properties": {
        "change": {"enum": list(KINDS)},
        "identity": {"type": "string", "description": "A user, group or role ARN."},
        "policy": {"type": "string", "description": "A managed policy's ARN."},
        "group": {"type": "string"},
        "user": {"type": "string"},
        "role": {"type": "string"},
        "users": {**_STRINGS, "minItems": 1},
        "replaced": {**_STRINGS, "description": "replace-policies: ARNs of managed policies attached to identity."},
        "document": _DOCUMENT,
        "trust_policy": _DOCUMENT,
        "policy_name": {"type": "string"},
        "guardrail_name": {"type": "string"},
        "existing": {
            "type": "string",
            "description": "save-guardrail: the name of the guardrail it changes (renames).",
        },
        "level": {"type": "integer", "minimum": 1},
        "version": {"type": "integer", "minimum": 1},
        "set_as_default": {"type": "boolean", "default": True},
        "detach_everywhere": {
            "type": "boolean",
            "default": False,
            "description": "delete-policy: detach it from every identity first (else one in use is refused).",
        },
        "resources": {
            **_STRINGS,
            "maxItems": 20,
            "description": "Resources to ask about beside those the policies name.",
        },
    },
}
_FAILURE = {
    "type": "object",
    "required": ["principal", "action", "resource", "decision"],
    "properties": {
        "principal": {"type": "string"},
        "action": {"type": "string"},
        "resource": {"type": "string"},
        "decision": {"enum": ["Allow", "ExplicitDeny", "ImplicitDeny", "NoSuchPrincipal"]},
    },
}
_PREVIEW = {
    "type": "object",
    "required": [
        "generation",
        "seconds",
        "principals",
        "hidden_principals",
        "principals_tried",
        "not_covered",
        "broken_expectations",
    ],
    "properties": {
        "generation": {"type": "integer", "description": "The permissions generation the preview saw."},
        "seconds": {"type": "number"},
        "principals": {
            "type": "array",
            "description": "Principals whose access moves, each only if the caller may "
            "iam:SimulatePrincipalPolicy on it.",
            "items": {
                "type": "object",
                "required": ["arn", "kind", "gains", "loses", "changes"],
                "properties": {
                    "arn": {"type": "string"},
                    "kind": {"enum": ["user", "role"]},
                    "gains": _MOVED,
                    "loses": _MOVED,
                    "changes": {**_MOVED, "description": "Allowed before and after, under other conditions."},
                },
            },
        },
        "hidden_principals": {
            "type": "integer",
            "description": "Principals whose access moves that the caller may not see.",
        },
        "principals_tried": {"type": "integer", "description": "Principals whose policies the change moves."},
        "not_covered": {**_STRINGS, "description": "What the preview does not decide."},
        "broken_expectations": {
            "type": "array",
            "description": "Access expectations the change would break: saving it is refused unless each is "
            "overridable (iamconsole:OverrideAccessExpectation). Failures are listed only for principals the caller "
            "may iam:SimulatePrincipalPolicy on, and at most five; other_failures counts the rest.",
            "items": {
                "type": "object",
                "required": ["name", "arn", "expectation", "overridable", "failures", "other_failures"],
                "properties": {
                    "name": {"type": "string"},
                    "arn": {"type": "string"},
                    "expectation": {"type": "string", "description": "The expectation in words."},
                    "overridable": {"type": "boolean"},
                    "failures": {"type": "array", "items": _FAILURE},
                    "other_failures": {"type": "integer"},
                },
            },
        },
    },
}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def errors(*statuses: int, missing: str = "") -> dict:
    """The error answers, each described; a 404 says what was missing (`missing`, required with it)."""
    if 404 in statuses and not missing:
        raise ValueError("a 404 answer names what was missing")
    described = {
        400: "Malformed request",
        401: "Missing, malformed, unknown or inactive credentials",
        403: "Not allowed, or plain HTTP",
        404: missing,
        405: "Wrong method",
        413: "Body too large",
        415: "Body not application/json",
        409: "Another change held the database at the same moment: nothing was saved; try again",
        503: "Database unreachable: nothing is decided",
    }
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {str(status): {"description": described[status], "content": content} for status in statuses}


def json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def ok(schema: dict, description: str) -> dict:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


def document() -> dict:
    common = (400, 401, 403, 405, 409, 413, 415, 503)
    # Other apps' endpoints under /api/v1/ describe themselves (IAM_API_DOCUMENT_PARTS): policies
    # imports none of them.
    parts = [import_string(name)() for name in settings.IAM_API_DOCUMENT_PARTS]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "iamconsole decision API",
            "version": "1",
            "description": "Authenticate with `Authorization: Bearer <key id>:<secret>` (an access key) or "
            "`Bearer <key id>:<secret>:<session token>` (temporary credentials), over HTTPS.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/caller-identity": {
                "get": {
                    "operationId": "callerIdentity",
                    "summary": "Who the credentials belong to",
                    "description": "Needs no permission, as AWS's sts:GetCallerIdentity: an explicit Deny "
                    "does not stop it.",
                    "responses": ok({"$ref": "#/components/schemas/CallerIdentity"}, "The caller")
                    | errors(401, 403, 405, 503),
                }
            },
            "/authorize": {
                "post": {
                    "operationId": "authorize",
                    "summary": "Decide one request, or a batch",
                    "description": f"A batch holds at most {settings.IAM_AUTHORIZE_BATCH_MAX} requests. The caller "
                    "may ask about itself, or about others it is allowed iam:SimulatePrincipalPolicy on.",
                    "requestBody": json_body(
                        {
                            "oneOf": [
                                {"$ref": "#/components/schemas/AuthorizeRequest"},
                                {"$ref": "#/components/schemas/AuthorizeBatch"},
                            ]
                        }
                    ),
                    "responses": ok(
                        {"oneOf": [{"$ref": "#/components/schemas/Result"}, {"$ref": "#/components/schemas/Results"}]},
                        "One result, or one per request in order",
                    )
                    | errors(*common, 404, missing="No such principal"),
                }
            },
            "/preview-change": {
                "post": {
                    "operationId": "previewChange",
                    "summary": "Who would gain and who would lose what if the caller made this change",
                    "description": "Refused unless the caller may make the change itself. Nothing is saved. "
                    "Principals the caller may not iam:SimulatePrincipalPolicy on are only counted.",
                    "requestBody": json_body({"$ref": "#/components/schemas/PreviewRequest"}),
                    "responses": ok({"$ref": "#/components/schemas/Preview"}, "The principals whose access moves")
                    | errors(*common),
                }
            },
            "/assume-role": {
                "post": {
                    "operationId": "assumeRole",
                    "summary": "Temporary credentials for a role (sts:AssumeRole)",
                    "requestBody": json_body({"$ref": "#/components/schemas/AssumeRoleRequest"}),
                    "responses": ok({"$ref": "#/components/schemas/AssumeRoleResult"}, "Credentials, shown once")
                    | errors(*common),
                }
            },
            "/assume-role-with-web-identity": _web_identity_path(),
            **_expectation_paths(common),
            "/last-accessed": _last_accessed_path(),
            **{path: item for part in parts for path, item in part["paths"].items()},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas()
            | _web_identity_schemas()
            | _expectation_schemas()
            | _last_accessed_schemas()
            | {name: schema for part in parts for name, schema in part["schemas"].items()},
        },
    }


def _schemas() -> dict:
    return {
        "Error": _ERROR,
        "AuthorizeRequest": _REQUEST,
        "AuthorizeBatch": {
            "type": "object",
            "required": ["requests"],
            "properties": {
                "requests": {"type": "array", "minItems": 1, "items": _REQUEST},
                "explain": {"type": "boolean", "default": False, "description": "Explain every request."},
            },
        },
        "Result": _RESULT,
        "PreviewRequest": _PREVIEW_REQUEST,
        "Preview": _PREVIEW,
        "Results": {
            "type": "object",
            "required": ["results"],
            "properties": {"results": {"type": "array", "items": _RESULT}},
        },
        "CallerIdentity": {
            "type": "object",
            "required": ["UserId", "Account", "Arn"],
            "properties": {"UserId": {"type": "string"}, "Account": {"type": "string"}, "Arn": {"type": "string"}},
        },
        "AssumeRoleRequest": {
            "type": "object",
            "required": ["RoleArn", "RoleSessionName"],
            "properties": {
                "RoleArn": {"type": "string"},
                "RoleSessionName": {"type": "string", "pattern": "^[\\w+=,.@-]{2,64}$"},
                "DurationSeconds": {"type": "integer", "minimum": 900, "maximum": 43200, "default": 3600},
                "Policy": {
                    "description": "A session policy: a JSON object, or its text.",
                    "oneOf": [{"type": "object"}, {"type": "string"}],
                },
            },
        },
        "AssumeRoleResult": {
            "type": "object",
            "required": ["Credentials", "AssumedRoleUser", "Authorization"],
            "properties": {
                "Credentials": {
                    "type": "object",
                    "required": ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"],
                    "properties": {
                        "AccessKeyId": {"type": "string"},
                        "SecretAccessKey": {"type": "string"},
                        "SessionToken": {"type": "string"},
                        "Expiration": {"type": "string", "format": "date-time"},
                    },
                },
                "AssumedRoleUser": {
                    "type": "object",
                    "required": ["AssumedRoleId", "Arn"],
                    "properties": {"AssumedRoleId": {"type": "string"}, "Arn": {"type": "string"}},
                },
                "Authorization": {"type": "string", "description": "The ready-made Authorization header value."},
            },
        },
    }


# Access expectations (policies.api_expectations, docs/expectations.md)

_PRINCIPAL_LISTS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"users": _STRINGS, "groups": _STRINGS, "roles": _STRINGS},
}
_TEXTS = {"oneOf": [{"type": "string", "minLength": 1}, {**_STRINGS, "minItems": 1}]}
_DEFINITION = {
    "type": "object",
    "required": ["name", "principals", "may", "actions"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[\\w+=,.@-]{1,128}$"},
        "description": {"type": "string", "maxLength": 1000},
        "principals": {"oneOf": [{"const": "*"}, _PRINCIPAL_LISTS], "description": '"*" for anyone.'},
        "except": _PRINCIPAL_LISTS,
        "may": {"type": "boolean", "description": "true: they may; false: they may not."},
        "actions": _TEXTS,
        "resources": {**_TEXTS, "description": 'ARNs or patterns; "*" when left out.'},
        "context": _CONTEXT,
    },
}
_EXPECTATION = {
    "type": "object",
    "required": [*_DEFINITION["required"], "arn", "expectation", "held", "failures", "failure_count"],
    "properties": {
        **_DEFINITION["properties"],
        "arn": {"type": "string"},
        "expectation": {"type": "string", "description": "In words."},
        "held": {"type": ["boolean", "null"]},
        "failures": {"type": "array", "items": _FAILURE, "description": "The first 100."},
        "failure_count": {"type": "integer"},
        "last_held_at": {"type": ["string", "null"], "format": "date-time"},
        "checked_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


def _web_identity_path() -> dict:
    return {
        "post": {
            "operationId": "assumeRoleWithWebIdentity",
            "summary": "Temporary credentials for a role, for an ID token (sts:AssumeRoleWithWebIdentity)",
            "description": "Unauthenticated, as STS's is: the token is the credential. Its issuer must be a "
            "registered OpenID Connect provider, its signature, times and audience (one of the provider's "
            "client IDs) must hold, and the role's trust policy must allow the provider's ARN "
            "(Principal.Federated) with the token's <issuer>:aud and :sub. A refused token is a 400 "
            "(InvalidIdentityToken, ExpiredTokenException, IDPCommunicationError); a refusal by the trust "
            "policy, or an unknown role, a 403.",
            "security": [],
            "requestBody": json_body({"$ref": "#/components/schemas/AssumeRoleWithWebIdentityRequest"}),
            "responses": ok({"$ref": "#/components/schemas/AssumeRoleWithWebIdentityResult"}, "Credentials, shown once")
            | errors(400, 403, 405, 413, 415, 503),
        }
    }


def _web_identity_schemas() -> dict:
    return {
        "AssumeRoleWithWebIdentityRequest": {
            "type": "object",
            "required": ["RoleArn", "WebIdentityToken", "RoleSessionName"],
            "properties": {
                "RoleArn": {"type": "string"},
                "WebIdentityToken": {"type": "string", "minLength": 4, "maxLength": 20000},
                "RoleSessionName": {"type": "string", "pattern": "^[\\w+=,.@-]{2,64}$"},
                "DurationSeconds": {"type": "integer", "minimum": 900, "maximum": 43200, "default": 3600},
                "Policy": {
                    "description": "A session policy: a JSON object, or its text.",
                    "oneOf": [{"type": "object"}, {"type": "string"}],
                },
            },
        },
        "AssumeRoleWithWebIdentityResult": {
            "allOf": [
                {"$ref": "#/components/schemas/AssumeRoleResult"},
                {
                    "type": "object",
                    "required": ["SubjectFromWebIdentityToken", "Provider", "Audience"],
                    "properties": {
                        "SubjectFromWebIdentityToken": {"type": "string", "description": "The token's sub."},
                        "Provider": {"type": "string", "description": "The provider's ARN."},
                        "Audience": {"type": "string", "description": "The client ID the token's aud matched."},
                    },
                },
            ]
        },
    }


def _expectation_schemas() -> dict:
    return {
        "AccessExpectationDefinition": _DEFINITION,
        "AccessExpectation": _EXPECTATION,
        "AccessExpectations": {
            "type": "object",
            "required": ["expectations"],
            "properties": {"expectations": {"type": "array", "items": _EXPECTATION}},
        },
        "DeletedAccessExpectation": {
            "type": "object",
            "required": ["deleted", "arn"],
            "properties": {"deleted": {"type": "string"}, "arn": {"type": "string"}},
        },
    }


def _expectation_paths(common: tuple[int, ...]) -> dict:
    one = {"$ref": "#/components/schemas/AccessExpectation"}
    return {
        "/access-expectations": {
            "get": {
                "operationId": "listAccessExpectations",
                "summary": "Every access expectation, checked now (iamconsole:ListAccessExpectations)",
                "responses": ok({"$ref": "#/components/schemas/AccessExpectations"}, "The expectations")
                | errors(401, 403, 405, 503),
            },
            "post": {
                "operationId": "putAccessExpectation",
                "summary": "Create or replace an access expectation (iamconsole:PutAccessExpectation)",
                "requestBody": json_body({"$ref": "#/components/schemas/AccessExpectationDefinition"}),
                "responses": ok(one, "The stored expectation, with its state") | errors(*common),
            },
        },
        "/access-expectations/{name}": {
            "delete": {
                "operationId": "deleteAccessExpectation",
                "summary": "Delete an access expectation (iamconsole:DeleteAccessExpectation)",
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": ok({"$ref": "#/components/schemas/DeletedAccessExpectation"}, "Deleted")
                | errors(401, 403, 404, 405, 503, missing="No such expectation"),
            }
        },
    }


def _last_accessed_path() -> dict:
    parameters = [
        {
            "name": "principal",
            "in": "query",
            "required": True,
            "description": "A user, role, group or managed policy ARN.",
            "schema": {"type": "string", "minLength": 1},
        },
        {
            "name": "unused_days",
            "in": "query",
            "required": False,
            "description": "Only the actions granted but not used for this many days, or never.",
            "schema": {"type": "integer", "minimum": 1, "maximum": 3650},
        },
    ]
    return {
        "get": {
            "operationId": "lastAccessed",
            "summary": "The Access Advisor: granted services and actions, and when each was last used",
            "description": "Needs iam:GenerateServiceLastAccessedDetails on the entity and "
            "iam:GetServiceLastAccessedDetails. Uses are the principal's allowed requests (decision API answers, "
            "assume-role, the console's own checks), written in batches, so the newest may take up to "
            "IAM_LAST_ACCESSED_FLUSH_SECONDS to appear; a group's are its members', a policy's those of the "
            "identities it is attached to.",
            "parameters": parameters,
            "responses": ok({"$ref": "#/components/schemas/LastAccessed"}, "Granted services and actions")
            | errors(400, 401, 403, 404, 405, 503, missing="No user, role, group or managed policy has that ARN"),
        }
    }


def _last_accessed_schemas() -> dict:
    moment = {"type": ["string", "null"], "format": "date-time", "description": "Null: never used."}
    action = {
        "type": "object",
        "required": ["action", "access_level", "last_accessed", "last_accessed_by", "credential", "resources"],
        "properties": {
            "action": {"type": "string"},
            "access_level": {"type": "string"},
            "last_accessed": moment,
            "last_accessed_by": {"type": ["string", "null"], "description": "The ARN that made the latest use."},
            "credential": {
                "type": ["string", "null"],
                "description": "The access key or role session key ID, session <name>, or console.",
            },
            "resources": {**_STRINGS, "description": "Where it was used; * stands for resources past the limit."},
        },
    }
    service = {
        "type": "object",
        "required": ["service", "last_accessed", "actions"],
        "properties": {
            "service": {"type": "string"},
            "last_accessed": moment,
            "actions": {"type": "array", "items": action},
        },
    }
    return {
        "LastAccessed": {
            "type": "object",
            "required": ["principal", "unused_days", "services"],
            "properties": {
                "principal": {"type": "string"},
                "unused_days": {"type": ["integer", "null"]},
                "services": {"type": "array", "items": service},
            },
        }
    }
