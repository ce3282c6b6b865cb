"""The indexes the console's lists rely on are the ones the database actually uses for them.

Plans are read with sequential scans discouraged, so that a handful of test rows
does not make a full scan the cheaper choice: what matters here is that an index
matches the expression Django writes (`explain_queries` measures the rest on the
scale data).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities import queries
from identities.models import User

pytestmark = pytest.mark.django_db

POSTGRESQL_ONLY = ["user_name_trigram", "user_tags_trigram", "group_name_trigram", "user_sign_in_descending"]


def plan_of(queryset, *, without: tuple[str, ...] = ()) -> str:
    """The plan, with sequential scans and the plan nodes in `without` (such as "sort") off."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for node in ("seqscan", *without):
                cursor.execute(f"SET LOCAL enable_{node} = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "identities_user")
        constraints |= connection.introspection.get_constraints(cursor, "identities_group")
    return set(constraints)


def test_names_looked_up_without_regard_to_case_use_the_unique_lower_index(people):
    with CaptureQueriesContext(connection) as captured:
        assert User.objects.get_by_natural_key("MIA").username == "mia"
    assert "LOWER(" in captured[0]["sql"].upper()
    assert "user_name_unique_ignoring_case" in plan_of(User.objects.filter(username__lower="mia"))


def test_searches_and_the_sign_in_sort_have_their_indexes_on_postgresql_and_sqlite_is_left_alone(people):
    if connection.vendor != "postgresql":
        # SQLite cannot build them; the migration must not try.
        assert not index_names() & set(POSTGRESQL_ONLY)
        return
    assert set(POSTGRESQL_ONLY) <= index_names()
    # As the paginator counts (no ORDER BY), and with plain index scans off: only a bitmap
    # scan of an index on the searched expression is left, if one matches it.
    search = plan_of(queries.users_matching(queries.UserFilters(search="mia")).order_by(), without=("indexscan",))
    assert "user_name_trigram" in search and "user_tags_trigram" in search
    groups = plan_of(queries.groups_matching(search="dev").order_by(), without=("indexscan",))
    assert "group_name_trigram" in groups
    # With sorting off, only an index in the page's order can give it.
    newest_first = queries.users_matching(queries.UserFilters(sort="-last-sign-in"))[:50]
    assert "user_sign_in_descending" in plan_of(newest_first, without=("sort",))
