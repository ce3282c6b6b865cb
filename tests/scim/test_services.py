"""SCIM's services (called as the entry points call them, past the rule table's checks): If-Match
decided again inside the write's transaction."""

import pytest
from django.core.exceptions import ValidationError

from scim import services
from scim.models import Provisioned
from tests.scim.conftest import new_group, new_user

pytestmark = pytest.mark.django_db


def test_a_write_that_came_between_the_check_and_the_change_fails_the_precondition(scim, provisioner):
    created = new_user(scim, "ava")
    row = Provisioned.objects.get(user__iam_id=created["id"])
    seen = row.etag
    scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "displayName", "value": "Ava"}])
    fields = {"user_name": "ava", "active": True, "external_id": "", "attributes": {}}
    with pytest.raises(ValidationError) as refused:
        services.update_user(actor=provisioner, row=row, based_on=seen, **fields)
    assert refused.value.code == "precondition"
    with pytest.raises(ValidationError):
        services.delete_user(actor=provisioner, row=row, based_on=seen)
    assert Provisioned.objects.get(pk=row.pk).attributes == {"displayName": "Ava"}


def test_without_a_precondition_the_version_counts_on_from_the_stored_one(scim, provisioner):
    created = new_group(scim, "Engineering")
    row = Provisioned.objects.get(group__iam_id=created["id"])
    scim.patch(f"Groups/{created['id']}", [{"op": "replace", "path": "externalId", "value": "g-1"}])
    services.update_group(actor=provisioner, row=row, display_name="Engineering", external_id="g-2", members=[])
    assert Provisioned.objects.get(pk=row.pk).version == 3
