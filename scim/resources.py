"""The SCIM resources this service speaks (scim2-models' pydantic classes) and its discovery
documents: ServiceProviderConfig, ResourceTypes, Schemas (RFC 7643 §5-7).

The User resource holds only what is kept here: an IAM user has a name, a path and an
enabled flag; SCIM's name, displayName and emails are kept beside it. It has no password:
people provisioned by SCIM sign in through the organisation's identity provider.
"""

from typing import Annotated, Any

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Email,
    ETag,
    Filter,
    GroupMember,
    GroupMembership,
    Mutability,
    Name,
    Patch,
    Required,
    Resource,
    ResourceType,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

# The most resources one list answer holds (ServiceProviderConfig's filter.maxResults).
MAX_RESULTS = 100


class User(Resource[Any]):
    """User Account"""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """Unique identifier for the User: its IAM user name."""

    name: Name | None = None
    """The components of the user's real name."""

    display_name: str | None = None
    """The name of the User, suitable for display to end-users."""

    active: bool | None = None
    """Whether the IAM user is enabled."""

    emails: list[Email] | None = None
    """Email addresses for the user."""

    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None
    """The groups SCIM made the user a member of."""


class Member(GroupMember):
    """A group's member, as RFC 7643 §8.7.1 describes it: value, $ref and type; `display`,
    which scim2-models adds, is never kept here."""

    display: Annotated[str | None, Mutability.read_only] = None


class Group(Resource[Any]):
    """Group"""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true] = None
    """A human-readable name for the Group: its IAM group name."""

    members: list[Member] | None = None
    """The users in the Group (groups contain users only)."""


MODELS = {"Users": User, "Groups": Group}


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Access key",
                description="An IAM user's access key, sent as Authorization: Bearer <access key ID>:<secret>.",
                primary=True,
            )
        ],
    )


def resource_types() -> list[ResourceType]:
    return [ResourceType.from_resource(model) for model in MODELS.values()]


def schemas() -> list:
    return [model.to_schema() for model in MODELS.values()]
