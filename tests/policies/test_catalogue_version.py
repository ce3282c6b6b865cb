"""The catalogue version (policies.catalogue_version): every change of the catalogue's rows renews
it in its own transaction, and validation keeps the catalogue per process under it, so a
validation reads one row while the catalogue stays as it is and never a catalogue that changed."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from policies import catalogue_data, catalogue_version, services
from policies.builtins import load_builtins
from policies.engine import DocumentKind
from policies.models import CatalogAction, CatalogService
from tests.documents import allow

pytestmark = pytest.mark.django_db

INVOICES = catalogue_data.Service(
    prefix="invoices",
    name="Invoices",
    actions=(catalogue_data.Action("SendInvoice", "Write", ()),),
    resource_types=(),
    condition_keys=(),
)


def _codes(action: str) -> list[str]:
    findings = services.document_findings(allow(action), kind=DocumentKind.CUSTOMER_MANAGED)
    return [finding.code for finding in findings]


def _billing() -> CatalogService:
    return services.save_catalog_service(prefix="billing", name="Billing", actor=None)


def _pay(service: CatalogService) -> CatalogAction:
    return services.save_catalog_action(
        action=CatalogAction(service=service, name="Pay", access_level="Write"), actor=None
    )


# Each change as (its set-up, the change given what the set-up made): only the change is measured.
CHANGES = {
    "save_catalog_service": (lambda: None, lambda _: _billing()),
    "save_catalog_action": (_billing, _pay),
    "delete_catalog_action": (
        lambda: _pay(_billing()),
        lambda action: services.delete_catalog_action(action=action, actor=None),
    ),
    "delete_catalog_service": (_billing, lambda service: services.delete_catalog_service(service=service, actor=None)),
    "load_aws_catalogue": (
        lambda: None,
        lambda _: services.load_aws_catalogue(services=[INVOICES], source="test", actor=None),
    ),
    "load_builtins": (lambda: None, lambda _: load_builtins()),
}


def _change(name: str) -> None:
    set_up, change = CHANGES[name]
    change(set_up())


def test_the_migrations_leave_a_version(db):
    assert len(catalogue_version.current()) == 32


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_of_the_catalogue_renews_the_version(builtins, change):
    set_up, measured = CHANGES[change]
    made = set_up()
    before = catalogue_version.current()
    measured(made)
    assert catalogue_version.current() not in (None, before)


def test_a_load_that_changes_nothing_leaves_the_version(builtins):
    services.load_aws_catalogue(services=[INVOICES], source="test", actor=None)
    before = catalogue_version.current()
    services.load_aws_catalogue(services=[INVOICES], source="test", actor=None)
    assert catalogue_version.current() == before


def test_a_validation_reads_one_row_while_the_catalogue_stays_as_it_is(builtins):
    assert _codes("storage:GetObject") == []
    with CaptureQueriesContext(connection) as queries:
        assert _codes("storage:GetObjct") == ["UNKNOWN_ACTION"]
    assert len(queries) == 1
    assert "policies_catalogueversion" in queries[0]["sql"]


@pytest.mark.parametrize("change", ["save_catalog_action", "load_aws_catalogue"])
def test_a_validation_after_a_change_reads_the_changed_catalogue(builtins, change):
    action = {"save_catalog_action": "billing:Pay", "load_aws_catalogue": "invoices:SendInvoice"}[change]
    assert _codes(action) == ["UNKNOWN_SERVICE"]
    _change(change)
    assert _codes(action) == []


def test_a_change_that_rolls_back_leaves_the_catalogue_validation_keeps(builtins):
    assert _codes("billing:Pay") == ["UNKNOWN_SERVICE"]
    before = catalogue_version.current()

    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        _pay(_billing())
        assert _codes("billing:Pay") == []
        raise Undone
    assert catalogue_version.current() == before
    assert _codes("billing:Pay") == ["UNKNOWN_SERVICE"]
    _pay(_billing())
    assert _codes("billing:Pay") == []
