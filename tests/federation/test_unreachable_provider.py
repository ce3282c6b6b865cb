"""A provider that cannot be reached, or no provider at all: a message or a 404, never a 5xx."""

import socket

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.IAM_OIDC_ISSUER = f"http://127.0.0.1:{port}"
    settings.IAM_OIDC_CLIENT_ID, settings.IAM_OIDC_CLIENT_SECRET = "iamconsole", "secret"
    settings.IAM_OIDC_PROVIDER_NAME = "Example"
    return settings


def test_starting_a_sign_in_with_the_provider_down_says_so(unreachable, client):
    response = client.get("/sign-in/provider/", follow=True)
    assert response.redirect_chain == [("/sign-in/", 302)]
    assert "The sign-in through Example was refused: the provider could not be reached" in response.content.decode()


def test_an_answer_while_the_provider_is_down_says_so(unreachable, client):
    response = client.get("/sign-in/provider/callback/?code=c&state=s", follow=True)
    assert "the provider could not be reached" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_without_a_provider_the_sign_in_pages_are_404_and_the_button_is_gone(client):
    for path in ("/sign-in/provider/", "/sign-in/provider/callback/", "/sign-in/provider/bind/"):
        assert client.get(path).status_code == 404
    assert client.post("/sign-in/provider/backchannel-logout/", {"logout_token": "x"}).status_code == 404
    assert 'href="/sign-in/provider/' not in client.get("/sign-in/").content.decode()


def test_the_bind_page_without_a_pending_sign_in_goes_back(unreachable, client):
    assert client.get("/sign-in/provider/bind/")["Location"] == "/sign-in/"
