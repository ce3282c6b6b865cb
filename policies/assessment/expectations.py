"""The assessment's check of the access expectations: each one that fails now is a finding."""

from policies import expectations
from policies.assessment.checks import Finding
from policies.models import AccessExpectation


def expectation_findings():
    """A finding for each stored expectation that does not hold on the account as it stands."""
    rows = list(AccessExpectation.objects.all())
    if not rows:
        return
    results = expectations.check_rows(rows)
    for row in rows:
        result = results[row.pk]
        if result.held:
            continue
        first = result.failures[0].in_words()
        more = f" (and {len(result.failures) - 1} more)" if len(result.failures) > 1 else ""
        detail = f'"{result.definition.in_words()}" does not hold: {first}{more}.'
        yield Finding("expectation-failing", row.name, row.arn, detail, ("expectations", None))
