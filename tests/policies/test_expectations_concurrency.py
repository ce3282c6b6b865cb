"""Two changes that each keep an expectation but together break it cannot both pass:
the checked change holds the generation's row lock until it commits, so the second one
waits for it and is checked on the state the first one made (PostgreSQL: SQLite's
in-memory test database is one connection's, so there is no second writer to race)."""

import threading
import time

import pytest
from django.db import connection, connections

from identities import guards, rules
from identities import services as identity_services
from identities.guards import ChangeRefused
from identities.models import Membership
from policies import services
from policies.models import AccessExpectation
from tests.documents import allow

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections are PostgreSQL's"),
]

BUCKET = "arn:aws:storage:::shared-reports"
# The longest a thread may take to reach the point the test waits for; well past any normal run.
PATIENCE_SECONDS = 30


def _reader_in_two_groups():
    nina = identity_services.create_user(username="nina", actor=None)
    groups = []
    for name in ("ReportReadersA", "ReportReadersB"):
        group = identity_services.create_group(group_name=name, actor=None)
        services.put_inline_policy(
            identity=group, policy_name="Read", document=allow("storage:GetObject", f"{BUCKET}/*"), actor=None
        )
        identity_services.add_members(group=group, users=[nina], actor=None)
        groups.append(group)
    editor = identity_services.create_user(username="editor", actor=None)
    services.put_inline_policy(identity=editor, policy_name="Edit", document=allow("iam:*Group*"), actor=None)
    services.put_access_expectation(
        definition={
            "name": "nina-reads-reports",
            "principals": {"users": ["nina"]},
            "may": True,
            "actions": ["storage:GetObject"],
            "resources": [f"{BUCKET}/*"],
        },
        actor=None,
    )
    return nina, groups, editor


class _Paused:
    """A guard entered after the expectations' own (so after their lock is taken) that holds
    one thread's change there until the test lets it go."""

    def __init__(self):
        self.thread = None
        self.reached, self.release = threading.Event(), threading.Event()

    def __call__(self, actor, change, arguments):
        if threading.current_thread() is not self.thread:
            return None
        return self

    def __enter__(self):
        self.reached.set()
        self.release.wait(PATIENCE_SECONDS)

    def __exit__(self, *exc):
        return False


def _in_thread(outcomes: dict, name: str, work) -> threading.Thread:
    def run():
        try:
            work()
            outcomes[name] = "done"
        except ChangeRefused as refused:
            outcomes[name] = refused
        finally:
            connections.close_all()

    return threading.Thread(target=run, name=name)


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _until(condition) -> bool:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_second_of_two_changes_that_together_break_an_expectation_waits_and_is_refused():
    nina, (first, second), editor = _reader_in_two_groups()
    paused, outcomes = _Paused(), {}
    guards.register(paused)
    try:

        def removal(group):
            return lambda: rules.perform(editor, identity_services.remove_members, group=group, users=[nina])

        one, other = _in_thread(outcomes, "one", removal(first)), _in_thread(outcomes, "other", removal(second))
        paused.thread = one
        one.start()
        assert paused.reached.wait(PATIENCE_SECONDS), "the first change never reached its check"
        other.start()
        # The second change blocks on the generation's row, held by the first one's transaction.
        assert _until(lambda: _waiting_on_a_lock() == 1), "the second change did not wait for the first"
        assert "other" not in outcomes
        paused.release.set()
        one.join(PATIENCE_SECONDS)
        other.join(PATIENCE_SECONDS)
    finally:
        paused.release.set()
        guards.unregister(paused)
    assert outcomes["one"] == "done"
    assert isinstance(outcomes["other"], ChangeRefused)
    assert "nina-reads-reports" in outcomes["other"].messages[0]
    assert list(Membership.objects.filter(user=nina).values_list("group__group_name", flat=True)) == ["ReportReadersB"]
    assert AccessExpectation.objects.get().held is True
