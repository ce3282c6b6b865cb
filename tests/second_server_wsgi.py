"""The product's WSGI application for a second app server in the tests, with one change: its
clock. django.utils.timezone.now reads the moment the test wrote in the file named by
IAM_TEST_CLOCK_FILE (the real time while the file is missing or empty), as
tests.identities.signin_helpers.Clock moves the test process's own. Served by gunicorn
from tests/second_server.py only; nothing of the product imports it."""

import os
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from iamconsole.wsgi import application

CLOCK_FILE = Path(os.environ["IAM_TEST_CLOCK_FILE"])
real_now = timezone.now


def test_clock_now() -> datetime:
    try:
        moment = CLOCK_FILE.read_text().strip()
    except FileNotFoundError:
        moment = ""
    return datetime.fromisoformat(moment) if moment else real_now()


timezone.now = test_clock_now

__all__ = ["application"]
