"""Test clients signed in as a given user."""

from django.test import Client

from identities.models import User


def client_for(name: str) -> Client:
    """A client signed in as the user named `name` (one of a fresh client per call)."""
    client = Client()
    client.force_login(User.objects.get(username=name))
    return client


def signed_in(user) -> Client:
    """A fresh client signed in as `user` (force_login: signing in itself is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    return client
