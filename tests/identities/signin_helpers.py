"""Helpers for the sign-in, password policy and MFA tests: a frozen clock, sign-in steps, a counting hasher."""

from base64 import b32decode
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import MD5PasswordHasher
from django.urls import reverse
from django_otp.oath import totp

from identities import mfa
from tests import factories

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """django.utils.timezone.now, and django-axes's own copies of it, at a time the test sets."""

    def __init__(self, monkeypatch, start: datetime = START):
        self.now = start
        for target in ("django.utils.timezone.now", "axes.handlers.proxy.now", "axes.attempts.now"):
            monkeypatch.setattr(target, lambda: self.now)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


class CountingHasher(MD5PasswordHasher):
    """The test suite's hasher, counting the passwords it hashes: checking a password
    hashes the one typed, so the count shows whether a sign-in checked one."""

    count = 0

    def encode(self, password, salt):
        CountingHasher.count += 1
        return super().encode(password, salt)


def sign_in(client, username: str, password: str = factories.TEST_PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def code_for(device, steps_ahead: int = 0) -> str:
    """The device's code now, or a later time step's (a code is accepted once, one step either side)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=steps_ahead):06d}"


def code_from_secret(secret_text: str, steps_ahead: int = 0) -> str:
    secret = secret_text.replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, drift=steps_ahead):06d}"


def enrolled_device(user):
    """A confirmed device, as if the user had enrolled."""
    return mfa.TOTPDevice.objects.create(user=user, name=mfa.DEVICE_NAME, confirmed=True)
