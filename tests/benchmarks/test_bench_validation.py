"""bench_validation times a validation as a save does it, the first after the catalogue changed
and then with the catalogue kept per process, with AWS's whole catalogue loaded."""

import io
import re

import pytest
from django.core.management import call_command

from benchmarks.management.commands import bench_validation
from policies.builtins import load_builtins
from policies.models import CatalogAction, CatalogOrigin

pytestmark = pytest.mark.django_db


def test_the_first_validation_and_the_kept_ones_are_timed_with_awss_catalogue(db):
    load_builtins()  # again: a transactional test before this one flushed them
    out = io.StringIO()
    call_command(bench_validation.Command(), "--rounds", "1", "--load-aws", stdout=out)
    text = out.getvalue()
    aws = CatalogAction.objects.filter(origin=CatalogOrigin.AWS).count()
    assert aws > 15000
    assert re.search(rf"^loaded AWS's catalogue in [\d.]+ s: {aws:,} actions added$", text, re.M)
    assert f"catalogue: {CatalogAction.objects.count():,} actions, {aws:,} of them AWS's" in text
    rows = re.findall(r"^    (first|kept) +p50 +[\d.]+ ms +max +[\d.]+ ms +(\d+) quer(?:y|ies)$", text, re.M)
    assert [state for state, _ in rows] == ["first", "kept"] * 2
    # Kept, the catalogue costs one query (its version); the first reads the catalogue's tables too.
    assert [int(queries) for state, queries in rows if state == "kept"] == [1, 1]
    assert all(int(queries) > 1 for state, queries in rows if state == "first")
    assert "AWSSupportServiceRolePolicy (113,557 characters)" in text
