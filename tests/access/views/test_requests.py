"""The console's access request pages: one's own (and asking), those to decide, one request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access import queries, services
from access.models import AccessRequest
from identities import rules
from policies import services as policy_services
from tests.clients import client_for
from tests.documents import document, statement

pytestmark = pytest.mark.django_db
OBJECT = "arn:aws:storage:::public-site/index.html"


def ask(user, resource=OBJECT):
    return rules.perform(
        user,
        services.create_request,
        kind="permission",
        actions=["storage:PutObject"],
        resources=[resource],
        justification="The front page has a typo.",
        duration=3600,
    )


def test_the_form_is_prefilled_from_what_was_denied(org):
    response = client_for("henry").get(
        reverse("access:request-list"), {"action": "storage:PutObject", "resource": OBJECT}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert (form["kind"].value(), form["actions"].value(), form["resources"].value()) == (
        "permission",
        "storage:PutObject",
        OBJECT,
    )


def test_asking_then_approving_in_the_console(org):
    henry, admin = client_for("henry"), client_for("iam-admin")
    asked = {
        "kind": "permission",
        "actions": "storage:PutObject",
        "resources": OBJECT,
        "justification": "The front page has a typo.",
        "minutes": "60",
    }
    response = henry.post(reverse("access:request-list"), asked)
    request = AccessRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("access:request-detail", args=[request.pk])
    page = admin.get(reverse("access:request-detail", args=[request.pk]))
    assert [proposal.name for proposal in page.context["proposals"]][0] == "IAMPublishers"
    assert 'id="access-waiting">1<' in page.content.decode()
    assert [row.pk for row in admin.get(reverse("access:decide-list")).context["rows"]] == [request.pk]
    admin.post(reverse("access:request-decide", args=[request.pk]), {"decision": "approve", "minutes": "30"})
    request.refresh_from_db()
    assert (request.state, request.duration) == ("approved", 1800)
    assert "access-waiting" not in admin.get(reverse("access:decide-list")).content.decode()


def test_self_approval_in_the_console_is_refused_with_the_reason(org):
    request = ask(org.iam_admin)
    response = client_for("iam-admin").post(
        reverse("access:request-decide", args=[request.pk]), {"decision": "approve"}, follow=True
    )
    assert "No one decides their own access request." in response.content.decode()
    assert AccessRequest.objects.get(pk=request.pk).state == "pending"


def test_others_get_404(org):
    request = ask(org.henry)
    oliver = client_for("oliver")
    assert oliver.get(reverse("access:request-detail", args=[request.pk])).status_code == 404
    assert oliver.post(reverse("access:request-decide", args=[request.pk]), {"decision": "approve"}).status_code == 404
    assert AccessRequest.objects.get(pk=request.pk).state == "pending"


def test_wrong_method(org):
    request = ask(org.henry)
    assert client_for("henry").get(reverse("access:request-cancel", args=[request.pk])).status_code == 405
    assert client_for("henry").post(reverse("access:decide-list")).status_code == 405


def test_bad_input_changes_nothing(org):
    response = client_for("henry").post(reverse("access:request-list"), {"kind": "permission", "minutes": "60"})
    assert response.status_code == 200 and response.context["form"].errors
    response = client_for("henry").post(
        reverse("access:request-list"),
        {"kind": "permission", "actions": "storage:*", "resources": OBJECT, "justification": "x", "minutes": "60"},
    )
    assert "name each one whole" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_the_holder_cancels_in_the_console(org):
    request = ask(org.henry)
    client_for("henry").post(reverse("access:request-cancel", args=[request.pk]))
    assert AccessRequest.objects.get(pk=request.pk).state == "cancelled"


def _queries(client, name) -> int:
    """Queries of the page once the viewer's policies are loaded (a write loads them again)."""
    client.get(reverse(name))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name)).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["access:decide-list", "access:request-list"])
def test_the_pages_make_as_many_queries_for_more_requests(org, page):
    ask(org.henry)
    ask(org.oliver)
    viewer = client_for("iam-admin") if page == "access:decide-list" else client_for("henry")
    few = _queries(viewer, page)
    for name in ("mia", "charles", "dev-admin"):
        ask(org.users[name])
    for resource in ("arn:aws:storage:::public-site/a.html", "arn:aws:storage:::public-site/b.html"):
        ask(org.henry, resource)
    assert _queries(viewer, page) == few


def test_the_refusal_page_offers_to_request_what_was_refused(org):
    page = client_for("henry").get(reverse("identities:user-list")).content.decode()
    link = reverse("access:request-list") + "?action=iam%3AListUsers&amp;resource=%2A"
    assert "Request this access" in page and link in page


def test_an_approver_sees_the_requesters_earlier_requests(org):
    first = ask(org.henry)
    rules.perform(org.iam_admin, services.deny_request, request=first, reason="Not now.")
    second = ask(org.henry)
    page = client_for("iam-admin").get(reverse("access:request-detail", args=[second.pk]))
    assert [row.pk for row in page.context["earlier"]] == [first.pk]
    assert client_for("henry").get(reverse("access:request-detail", args=[second.pk])).context["earlier"] == []


def shown_waiting(client) -> str:
    page = client.get(reverse("access:request-list")).content.decode()
    start = page.find('id="access-waiting">')
    return "" if start < 0 else page[start + len('id="access-waiting">') : page.index("<", start)]


def test_the_waiting_count_decides_only_the_oldest_requests(org, monkeypatch):
    monkeypatch.setattr(queries, "WAITING_DECIDED_AT_MOST", 3)
    admin = client_for("iam-admin")
    assert shown_waiting(admin) == ""
    ask(org.henry)
    ask(org.oliver)
    assert shown_waiting(admin) == "2"
    ask(org.iam_admin)  # their own is never counted, nor decided
    assert shown_waiting(admin) == "2"
    ask(org.mia)
    ask(org.charles)
    assert shown_waiting(admin) == "2+"  # the three oldest all theirs: the limit's "99+"
    assert len(admin.get(reverse("access:decide-list")).context["rows"]) == 4  # the page lists every one


def test_past_the_oldest_requests_the_count_says_there_may_be_more(org, monkeypatch):
    monkeypatch.setattr(queries, "WAITING_DECIDED_AT_MOST", 3)
    page_a = "arn:aws:storage:::public-site/a.html"
    approving = statement("Allow", "iamconsole:ApproveAccessRequest", page_a)
    policy_services.put_inline_policy(
        identity=org.james, policy_name="ApproveA", document=document(approving), actor=None
    )
    ask(org.henry, page_a)
    ask(org.mia, "arn:aws:storage:::public-site/b.html")
    ask(org.charles, "arn:aws:storage:::public-site/c.html")
    james = client_for("james")
    assert shown_waiting(james) == "1"
    ask(org.users["dev-admin"], page_a)  # the fourth: not decided by the navigation
    assert shown_waiting(james) == "1+"
    assert len(james.get(reverse("access:decide-list")).context["rows"]) == 2
