"""Issue 18's story in Chromium: henry (in no group) is refused publishing the public site's
front page, asks for it for an hour from the refusal, iam-admin approves it after reading what
henry would gain, henry is allowed, and the grant ends by itself when the hour is up: the
decision API says ImplicitDeny with no command run, also on a second server, and expire_access
then removes the policy and records it. The live server answers from a thread of this process,
so moving the clock here moves it there too; the second server is a gunicorn process of its own
(tests/second_server.py) sharing the live server's Redis, whose clock the test moves through a
file. On PostgreSQL it reads the test database itself; on SQLite, whose in-memory test database
no other process can open, a copy made once the grant is committed."""

from datetime import timedelta
from io import StringIO

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from access.models import AccessRequest
from identities import generation
from identities import services as identity_services
from identities.audit import AuditEvent
from policies.models import ManagedPolicy, PolicyAttachment
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD
from tests.identities.signin_helpers import Clock
from tests.redis_server import REDIS_SERVER, private_redis
from tests.second_server import SecondServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PUT = "storage:PutObject"
PAGE = "arn:aws:storage:::public-site/index.html"
WHY = "The front page has a typo in the opening hours."


@pytest.fixture
def shared_cache(settings):
    """A private Redis as the shared cache of this process (and so of the live server), keyed as
    the product keys it, for a second server to share."""
    if REDIS_SERVER is None:
        pytest.fail("redis-server is needed for the second server of the story (apt-get install redis-server)")
    with private_redis() as (url, _):
        settings.CACHES = {
            "default": {
                "BACKEND": "iamconsole.cache.ResilientRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "iamconsole",
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
            }
        }
        yield url


def second_decision_of(server: SecondServer, henry, authorization: str) -> str:
    """henry's decision for PUT on PAGE, asked of the second server's decision API."""
    status, body = server.post(
        "/api/v1/authorize", {"principal": henry.arn, "action": PUT, "resource": PAGE}, authorization=authorization
    )
    assert status == 200, body
    return body["decision"]


def decision_of(page, henry, authorization: str) -> str:
    """henry's decision for PUT on PAGE, asked of the live server's decision API with his own key."""
    response = page.request.post(
        "/api/v1/authorize",
        data={"principal": henry.arn, "action": PUT, "resource": PAGE},
        headers={"Authorization": authorization},
    )
    assert response.status == 200, response.text()
    return response.json()["decision"]


def test_henry_asks_for_an_hour_of_publishing_and_it_ends_by_itself(
    page, screenshot, org, monkeypatch, shared_cache, tmp_path
):
    henry = org.henry
    key, secret = identity_services.create_access_key(user=henry, actor=None)
    api_key = f"Bearer {key.key_id}:{secret}"
    assert decision_of(page, henry, api_key) == "ImplicitDeny"

    # henry sees the refusal on the policy check of his own request, and asks from it.
    page.set_viewport_size(DESKTOP)
    sign_in(page, "henry", TEST_PASSWORD)
    page.goto(f"/policy-check/?kind=user&principal=henry&actions={PUT}&resources={PAGE}&context=")
    refused = page.locator(".result-row").first
    expect(refused.locator(".badge")).to_have_text("Implicitly denied")
    refused.locator("summary").click()
    refused.get_by_role("link", name="Request this access").click()
    expect(page.get_by_role("heading", name="My access requests")).to_be_visible()
    expect(page.get_by_label("Actions")).to_have_value(PUT)
    expect(page.get_by_label("Resources")).to_have_value(PAGE)
    expect(page.get_by_label("For (minutes)")).to_have_value("60")
    page.get_by_label("Why").fill(WHY)
    screenshot("access-request-henry-form-1366")
    page.get_by_role("button", name="Request this access").click()
    expect(page.locator("#request-state")).to_have_text("pending")
    proposals = page.locator(".proposal")
    expect(proposals.first).to_have_attribute("data-kind", "group")
    expect(proposals.first).to_contain_text("Membership in IAMPublishers")
    expect(page.locator('.proposal[data-kind="statement"]')).to_contain_text("A new statement for exactly this")
    request = AccessRequest.objects.get(requester=henry)
    assert (request.actions, request.resources, request.duration) == ([PUT], [PAGE], 3600)
    page.get_by_role("button", name="Sign out").click()

    # iam-admin is told one request waits, reads what henry would gain, and approves it for an hour.
    sign_in(page, "iam-admin", TEST_PASSWORD)
    expect(page.locator("#access-waiting")).to_have_text("1")
    page.locator("#access-waiting").click()  # the Requests menu
    page.get_by_role("link", name="To decide (1)").click()
    page.get_by_role("link", name=str(request.pk), exact=True).first.click()
    expect(page.get_by_role("heading", name=f"Access request {request.pk}")).to_be_visible()
    expect(page.get_by_text("What henry would gain beyond the request, as asked")).to_be_visible()
    expect(page.get_by_text(WHY)).to_be_visible()
    screenshot("access-request-approver-preview-1366")
    page.get_by_label("For (minutes, at most asked)").fill("60")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-state")).to_have_text("approved")
    request.refresh_from_db()
    policy = request.granted_policy
    assert (request.state, policy.policy_name, policy.path) == (
        "approved",
        f"AccessRequest{request.pk}",
        "/access-requests/",
    )
    assert request.expires_at - request.decided_at == timedelta(hours=1)
    page.get_by_role("button", name="Sign out").click()

    # henry is allowed now, and his page shows the time left on the grant.
    assert decision_of(page, henry, api_key) == "Allow"  # warms the per-process and the shared caches
    sign_in(page, "henry", TEST_PASSWORD)
    page.goto("/access-requests/")
    expect(page.get_by_text("left").first).to_be_visible()
    screenshot("access-request-henry-approved-1366")

    # The hour passes: no command runs, and henry is refused again, by both servers, each with
    # its per-process cache and the shared cache warmed first.
    with SecondServer(tmp_path, redis_url=shared_cache) as second:
        clock = Clock(monkeypatch, start=timezone.now())
        second.set_clock(clock.now)
        for _ in range(2):
            assert decision_of(page, henry, api_key) == "Allow"
            assert second_decision_of(second, henry, api_key) == "Allow"
        # the documents both servers read, kept in the shared cache under the current generation
        shared_key = f"iamconsole:1:policies:documents:user:{henry.pk}:{generation.current()}"
        assert redis.Redis.from_url(shared_cache).exists(shared_key) == 1
        clock.now = request.expires_at + timedelta(seconds=1)
        second.set_clock(clock.now)
        assert decision_of(page, henry, api_key) == "ImplicitDeny"
        assert second_decision_of(second, henry, api_key) == "ImplicitDeny"
    assert PolicyAttachment.objects.filter(policy=policy, user=henry).exists()  # still there: no job was needed

    # expire_access then removes the grant and the audit trail says so.
    call_command("expire_access", stdout=StringIO())
    request.refresh_from_db()
    assert request.state == AccessRequest.State.ENDED and request.granted_policy is None
    assert not ManagedPolicy.objects.filter(pk=policy.pk).exists()
    events = AuditEvent.objects.filter(target_arn=request.arn).order_by("id")
    assert list(events.values_list("event_name", flat=True)) == [
        "CreateAccessRequest",
        "ApproveAccessRequest",
        "EndAccessRequest",
    ]
    assert events.get(event_name="EndAccessRequest").after["removed"] == [policy.arn]
    assert decision_of(page, henry, api_key) == "ImplicitDeny"


def test_henry_asks_again_for_what_his_home_says_he_was_refused(page, screenshot, org):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "henry", TEST_PASSWORD)
    page.goto("/users/")
    expect(page.get_by_text("Your policies do not allow iam:ListUsers on *.").first).to_be_visible()
    page.goto("/")
    refusals = page.locator("#own-refusals")
    expect(refusals).to_contain_text("Your policies do not allow iam:ListUsers on *.")
    screenshot("access-request-henry-home-refusals-1366")
    refusals.get_by_role("link", name="Request this access for iam:ListUsers on *").click()
    expect(page.get_by_role("heading", name="My access requests")).to_be_visible()
    expect(page.get_by_label("Actions")).to_have_value("iam:ListUsers")
    expect(page.get_by_label("Resources")).to_have_value("*")
