"""WSGI entry point (gunicorn iamconsole.wsgi; runserver through WSGI_APPLICATION)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iamconsole.settings")
django.setup(set_prefix=False)

from iamconsole.handlers import Handler  # noqa: E402 - needs the settings above

application = Handler()
