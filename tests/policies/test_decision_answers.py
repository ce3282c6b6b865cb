"""Plain decisions are kept on the layers they were made with: asked again with the same
inputs they are not evaluated again, and a new permissions generation or any other input
gets a fresh answer."""

from datetime import UTC, datetime

import pytest

from identities import services as identity_services
from policies import authorization, services
from policies.authorization import decisions
from policies.engine import Outcome
from tests import factories
from tests.documents import allow

pytestmark = pytest.mark.django_db
ARN = "arn:aws:iam::123456789012:user/service"
AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def service(db):
    """A user who may read storage from 10.0.0.0/8 only."""
    user = factories.UserFactory(username="service")
    document = allow("storage:GetObject", condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    services.put_inline_policy(identity=user, policy_name="Read", document=document, actor=None)
    return user


@pytest.fixture
def evaluations(monkeypatch):
    """How many times the engine was asked, explained or not."""
    calls = []
    for name in ("authorize", "authorize_explained"):
        monkeypatch.setattr(decisions, name, _counting(getattr(decisions, name), calls))
    return calls


def _counting(engine, calls: list):
    def counted(*args, **kwargs):
        calls.append(args)
        return engine(*args, **kwargs)

    return counted


def _decide(ip="10.1.2.3", at=AT):
    return authorization.decide(
        authorization.layers_at(ARN), "storage:GetObject", "*", context={"aws:SourceIp": ip}, at=at
    )


def test_the_same_question_is_evaluated_once(service, evaluations):
    first, second = _decide(), _decide()
    assert (first.outcome, second.outcome) == (Outcome.ALLOW, Outcome.ALLOW)
    assert len(evaluations) == 1


def test_other_request_keys_get_their_own_answer(service, evaluations):
    assert _decide("10.1.2.3").outcome is Outcome.ALLOW
    assert _decide("192.0.2.1").outcome is Outcome.IMPLICIT_DENY
    assert _decide("10.1.2.3", at=datetime(2026, 1, 5, 9, 30, 1, tzinfo=UTC)).outcome is Outcome.ALLOW
    assert len(evaluations) == 3


def test_a_new_generation_drops_the_answers(service):
    assert _decide().outcome is Outcome.ALLOW
    services.put_inline_policy(identity=service, policy_name="Read", document=allow("storage:PutObject"), actor=None)
    assert _decide().outcome is Outcome.IMPLICIT_DENY


def test_a_disabled_principal_is_decided_again(service):
    assert _decide().outcome is Outcome.ALLOW
    identity_services.update_user(user=service, is_active=False, actor=None)
    with pytest.raises(authorization.UnknownPrincipal):
        _decide()


def test_explained_decisions_are_not_kept(service, evaluations):
    layers = authorization.layers_at(ARN)
    for _ in range(2):
        authorization.decide(layers, "storage:GetObject", "*", at=AT, explain=True)
    assert len(evaluations) == 2


def test_the_answers_of_one_layers_object_stay_bounded(service, settings):
    layers = authorization.layers_at(ARN)
    for index in range(decisions.ANSWERS_MAX + 10):
        authorization.decide(layers, "storage:GetObject", f"arn:aws:storage:::bucket-{index}", at=AT)
    assert len(layers.answers) <= decisions.ANSWERS_MAX


def test_layers_made_from_others_keep_no_answer_of_theirs(service):
    """Who-can, the escalation report and a boundary tried on a principal copy layers with
    another principal, other keys or another boundary: the copy decides for itself."""
    import dataclasses

    from policies.engine import compile_policies

    layers = authorization.layers_at(ARN)
    asked = {"aws:SourceIp": "10.1.2.3"}
    assert authorization.decide(layers, "storage:GetObject", "*", context=asked, at=AT).outcome is Outcome.ALLOW
    denying = compile_policies(
        [{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}]
    )
    bounded = dataclasses.replace(layers, boundary=denying)
    assert bounded.answers == {}
    assert authorization.decide(bounded, "storage:GetObject", "*", context=asked, at=AT).outcome is not Outcome.ALLOW
