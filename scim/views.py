"""The SCIM 2.0 endpoints under /scim/v2/: Users, Groups and the discovery documents.

Load, authorize at the one door, parse with scim2-models, call one service through the rule
table, answer. SCIM sees only the users and groups it created (scim.models.Provisioned);
anything else is not found here, so a provider can neither read nor change what people
manage in the console.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pydantic import ValidationError as ParseError
from scim2_models import Context, Error, ListResponse, PatchOp, ResourceType, ResponseParameters, Schema, SearchRequest

from identities import rules
from identities.models import User as IAMUser
from scim import filters, queries, resources, services
from scim.protocol import ScimError, answer, json_body, not_modified, refuse_unless_matches, scim_view
from scim.resources import Group, User

MAX_FILTER_LENGTH = 1000


@dataclass(frozen=True)
class Kind:
    endpoint: str
    model: type
    rows: Callable
    columns: dict
    render: Callable
    list_action: str
    get_action: str
    entity: str


USERS = Kind(
    "Users",
    User,
    queries.provisioned_users,
    filters.USER_COLUMNS,
    queries.user_resource,
    "iam:ListUsers",
    "iam:GetUser",
    "user",
)
GROUPS = Kind(
    "Groups",
    Group,
    queries.provisioned_groups,
    filters.GROUP_COLUMNS,
    queries.group_resource,
    "iam:ListGroups",
    "iam:GetGroup",
    "group",
)


def _locator(request) -> Callable[[str, str], str]:
    names = {"Users": "scim:user", "Groups": "scim:group"}
    return lambda endpoint, scim_id: request.build_absolute_uri(reverse(names[endpoint], args=[scim_id]))


def _require(request, action: str, obj=None) -> None:
    if not request.user.has_perm(action, obj):
        raise ScimError(403, f"{request.api_caller.arn} is not authorized to perform {action}.")


def _parsed(model, data: dict, context: Context):
    try:
        return model.model_validate(data, scim_ctx=context)
    except ParseError as error:
        raise _refusal(error, "The request is not valid.") from None


def _refusal(error: ParseError, otherwise: str) -> ScimError:
    """scim2-models' first finding as SCIM's error (its scimType, a 4xx status)."""
    found = Error.from_validation_error(error.errors()[0])
    status = found.status if found.status and 400 <= found.status < 500 else 400
    return ScimError(status, found.detail or otherwise, found.scim_type)


# Lists and searches


def _search(kind: Kind, data: dict, *, strict: bool = True) -> SearchRequest:
    fields = ("filter", "startIndex", "count", "sortBy", "sortOrder")
    # Across resource types, attributes may name what only some have: the answer applies them.
    wanted = _wanted(data, fields if not strict else (*fields, "attributes", "excludedAttributes"))
    if len(str(wanted.get("filter", ""))) > MAX_FILTER_LENGTH:
        # A provider's filters are short; a long one would only cost the parser and the database.
        raise ScimError(400, f"A filter is at most {MAX_FILTER_LENGTH} characters long.", "invalidFilter")
    search = _parsed(SearchRequest[kind.model], wanted, Context.SEARCH_REQUEST)
    if search.sort_by is not None:
        raise ScimError(400, "Sorting is not supported here (ServiceProviderConfig says so).", "invalidValue")
    return search


def _list(request, kind: Kind, search: SearchRequest):
    rows = kind.rows()
    start = max(search.start_index or 1, 1)
    count = _count(search)
    locate = _locator(request)
    try:
        if search.filter is not None:
            rows = rows.filter(filters.as_query(search.filter.ast, kind.columns))
        total = rows.count()
        # Past the last resource there is nothing to read (and an offset past 2**63 no database takes).
        found = (
            [kind.render(row, locate) for row in rows[start - 1 : start - 1 + count]]
            if count and start <= total
            else []
        )
    except filters.Untranslatable:
        matching = [
            resource for resource in (kind.render(row, locate) for row in rows) if search.filter.match(resource)
        ]
        total, found = len(matching), matching[start - 1 : start - 1 + count]
    listed = ListResponse[kind.model](
        total_results=total, start_index=start, items_per_page=len(found), resources=found
    )
    return answer(listed.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search))


def _wanted(data: dict, fields: tuple) -> dict:
    return {key: data[key] for key in fields if data.get(key) not in (None, "")}


def _count(search: SearchRequest) -> int:
    return resources.MAX_RESULTS if search.count is None else min(max(search.count, 0), resources.MAX_RESULTS)


def _listing(kind: Kind):
    def listing(request):
        if request.method == "POST":
            return _create(request, kind)
        _require(request, kind.list_action)
        return _list(request, kind, _search(kind, request.GET.dict()))

    return listing


def _searching(kind: Kind):
    def searching(request):
        _require(request, kind.list_action)
        return _list(request, kind, _search(kind, json_body(request)))

    return searching


@scim_view("POST")
def search(request):
    """A search of every resource type at once (RFC 7644 §3.4.3): users, then groups, each
    kind asked only of a caller allowed to list it; a filter naming what one kind lacks
    matches none of that kind."""
    data = json_body(request)
    kinds = [kind for kind in (USERS, GROUPS) if request.user.has_perm(kind.list_action)]
    if not kinds:
        _require(request, USERS.list_action)
    searches = [(kind, _search(kind, data, strict=False)) for kind in kinds]
    locate = _locator(request)
    found = [resource for kind, each in searches for resource in _matching(kind, each, locate)]
    first = searches[0][1]
    start = max(first.start_index or 1, 1)
    count = _count(first)
    page = found[start - 1 : start - 1 + count]
    listed = ListResponse[User | Group](
        total_results=len(found), start_index=start, items_per_page=len(page), resources=page
    )
    shown = _parsed(ResponseParameters, _wanted(data, ("attributes", "excludedAttributes")), Context.SEARCH_REQUEST)
    return answer(listed.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=shown))


def _matching(kind: Kind, search: SearchRequest, locate) -> list:
    rows = kind.rows()
    if search.filter is None:
        return [kind.render(row, locate) for row in rows]
    try:
        return [kind.render(row, locate) for row in rows.filter(filters.as_query(search.filter.ast, kind.columns))]
    except filters.Untranslatable:
        return [resource for resource in (kind.render(row, locate) for row in rows) if search.filter.match(resource)]


users = scim_view("GET", "POST")(_listing(USERS))
groups = scim_view("GET", "POST")(_listing(GROUPS))
users_search = scim_view("POST")(_searching(USERS))
groups_search = scim_view("POST")(_searching(GROUPS))


# One resource


def _readable(request, kind: Kind, scim_id: str):
    """The provisioned row, or 404: for an ID SCIM did not provision, or one the caller may not read."""
    row = kind.rows().filter(**{f"{kind.entity}__iam_id": scim_id}).first()
    if row is None or not request.user.has_perm(kind.get_action, row.entity):
        raise ScimError(404, f"No {kind.endpoint[:-1].lower()} {scim_id} here.")
    return row


def _shown(request, kind: Kind, row, status: int = 200, context=Context.RESOURCE_QUERY_RESPONSE, parameters=None):
    resource = kind.render(row, _locator(request))
    headers = {"ETag": row.etag}
    if status == 201:
        headers["Location"] = resource.meta.location
    return answer(resource.model_dump(scim_ctx=context, response_parameters=parameters), status, headers)


def _one(kind: Kind):
    def one(request, scim_id: str):
        row = _readable(request, kind, scim_id)
        if request.method == "GET":
            if not_modified(request, row.etag):
                return answer(None, 304, {"ETag": row.etag})
            return _shown(request, kind, row, parameters=_parameters(request))
        refuse_unless_matches(request, row.etag)
        # Checked again in the write's transaction, the row locked: another write may come between.
        based_on = row.etag if "If-Match" in request.headers and request.headers["If-Match"] != "*" else None
        if request.method == "DELETE":
            change = services.delete_user if kind is USERS else services.delete_group
            _perform(request, change, row=row, based_on=based_on)
            return answer(None, 204)
        if request.method == "PUT":
            data = _without_password(json_body(request))
            resource = _parsed(kind.model, data, Context.RESOURCE_REPLACEMENT_REQUEST)
            context = Context.RESOURCE_REPLACEMENT_RESPONSE
        else:
            resource = _patched(request, kind, row)
            context = Context.RESOURCE_PATCH_RESPONSE
        _replace(request, kind, row, resource, based_on)
        return _shown(request, kind, kind.rows().get(pk=row.pk), context=context)

    return one


def _parameters(request) -> ResponseParameters:
    wanted = {key: request.GET[key] for key in ("attributes", "excludedAttributes") if request.GET.get(key)}
    return _parsed(ResponseParameters, wanted, Context.RESOURCE_QUERY_REQUEST)


def _patched(request, kind: Kind, row):
    patch = _parsed(PatchOp[kind.model], _without_password(json_body(request)), Context.RESOURCE_PATCH_REQUEST)
    resource = kind.render(row, _locator(request))
    try:
        patch.patch(resource)
    except ParseError as error:
        raise _refusal(error, "The patch does not apply.") from None
    return resource


user = scim_view("GET", "PUT", "PATCH", "DELETE")(_one(USERS))
group = scim_view("GET", "PUT", "PATCH", "DELETE")(_one(GROUPS))


# Writes


def _create(request, kind: Kind):
    data = _without_password(json_body(request))
    resource = _parsed(kind.model, data, Context.RESOURCE_CREATION_REQUEST)
    if kind is USERS:
        row = _perform(request, services.create_user, **_user_fields(resource))
    else:
        row = _perform(request, services.create_group, **_group_fields(resource))
    return _shown(request, kind, kind.rows().get(pk=row.pk), 201, Context.RESOURCE_CREATION_RESPONSE)


def _replace(request, kind: Kind, row, resource, based_on: str | None) -> None:
    if kind is USERS:
        _perform(request, services.update_user, row=row, based_on=based_on, **_user_fields(resource))
    else:
        _perform(request, services.update_group, row=row, based_on=based_on, **_group_fields(resource))


def _perform(request, change, **arguments):
    try:
        return rules.perform(request.user, change, **arguments)
    except PermissionDenied as refusal:
        raise ScimError(403, str(refusal)) from None
    except ValidationError as error:
        detail, code = " ".join(error.messages), getattr(error, "code", None)
        if code == "precondition":
            raise ScimError(412, detail) from None
        raise (
            ScimError(409, detail, "uniqueness") if code == "uniqueness" else ScimError(400, detail, "invalidValue")
        ) from None


def _user_fields(resource: User) -> dict:
    if not resource.user_name:
        raise ScimError(400, "userName is required.", "invalidValue")
    dumped = resource.model_dump(scim_ctx=Context.DEFAULT)
    return {
        "user_name": resource.user_name,
        "active": resource.active is not False,
        "external_id": resource.external_id or "",
        "attributes": {key: dumped[key] for key in queries.USER_ATTRIBUTES if dumped.get(key) not in (None, [], {})},
    }


def _group_fields(resource: Group) -> dict:
    if not resource.display_name:
        raise ScimError(400, "displayName is required.", "invalidValue")
    return {
        "display_name": resource.display_name,
        "external_id": resource.external_id or "",
        "members": _members(resource.members or []),
    }


def _members(members) -> list[IAMUser]:
    """The SCIM users the members name; groups contain users only."""
    if any(member.type and member.type.lower() != "user" for member in members):
        raise ScimError(400, "Groups contain users only, never groups.", "invalidValue")
    wanted = {member.value for member in members if member.value}
    found = {row.user.iam_id: row.user for row in queries.provisioned_users().filter(user__iam_id__in=wanted)}
    missing = sorted(wanted - set(found))
    if missing:
        raise ScimError(400, f"No user provisioned here has the id {', '.join(missing)}.", "invalidValue")
    return list(found.values())


def _without_password(data: dict) -> dict:
    """A password is refused wherever it appears: SCIM's people sign in through the provider."""
    if _names_password(data):
        raise ScimError(
            400, "Passwords are not provisioned here: users sign in through the identity provider.", "invalidValue"
        )
    return data


def _names_password(value) -> bool:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower().rsplit(":", 1)[-1] == "password" or _names_password(item):
                return True
            if key.lower() == "path" and isinstance(item, str) and item.lower().rsplit(":", 1)[-1] == "password":
                return True
        return False
    if isinstance(value, list):
        return any(_names_password(item) for item in value)
    return False


# Discovery (RFC 7644 §4)


@scim_view("GET")
def service_provider_config(request):
    config = resources.service_provider_config()
    config.meta = {"resourceType": "ServiceProviderConfig", "location": request.build_absolute_uri()}
    return answer(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@scim_view("GET")
def resource_types(request):
    found = resources.resource_types()
    listed = ListResponse[ResourceType](
        total_results=len(found), start_index=1, items_per_page=len(found), resources=found
    )
    return answer(listed.model_dump(scim_ctx=Context.SEARCH_RESPONSE))


@scim_view("GET")
def resource_type(request, name: str):
    found = next((item for item in resources.resource_types() if item.id == name), None)
    if found is None:
        raise ScimError(404, f"No resource type {name} here.")
    return answer(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@scim_view("GET")
def schemas(request):
    found = resources.schemas()
    listed = ListResponse[Schema](total_results=len(found), start_index=1, items_per_page=len(found), resources=found)
    return answer(listed.model_dump(scim_ctx=Context.SEARCH_RESPONSE))


@scim_view("GET")
def schema(request, urn: str):
    found = next((item for item in resources.schemas() if item.id == urn), None)
    if found is None:
        raise ScimError(404, f"No schema {urn} here.")
    return answer(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@scim_view("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request, rest: str = ""):
    raise ScimError(404, "No SCIM endpoint has this path.")
