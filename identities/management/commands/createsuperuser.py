"""The account root user, created through the services: this replaces Django's createsuperuser.

Here a superuser is the account root user: the owner, beyond every IAM policy but the
guardrails, and there is exactly one. This command creates it once, validated and
audited (CreateAccountRootUser, naming who ran it); a second run is refused, and a root
user whose password is lost gets a new one from `reset_root_user`.

    python manage.py createsuperuser                          # asks for the name and the password
    DJANGO_SUPERUSER_PASSWORD=... python manage.py createsuperuser --no-input --username owner

As with Django's own, without DJANGO_SUPERUSER_PASSWORD `--no-input` creates a root user
that cannot sign in until `reset_root_user` gives it a password.
"""

import getpass
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from identities import queries, services
from identities.management import system_user
from identities.models import User

DEFAULT_NAME = "root"


class Command(BaseCommand):
    help = "Create the account root user, once (reset_root_user gives a lost one a new password)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--username", help="The root user's name (DJANGO_SUPERUSER_USERNAME with --no-input).")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Ask nothing: the name from --username or DJANGO_SUPERUSER_USERNAME, the password from "
            "DJANGO_SUPERUSER_PASSWORD (without it the root user has no password until reset_root_user).",
        )

    def handle(self, *args, username: str | None, interactive: bool, **options):
        root = queries.account_root_user()
        if root is not None:
            raise CommandError(
                f"The account already has its root user ({root.username}); there is only one. "
                "`manage.py reset_root_user` gives it a new password."
            )
        if interactive:
            root = self._ask_and_create(username, options.get("stdin", sys.stdin))
        else:
            root = self._create(
                username or os.environ.get("DJANGO_SUPERUSER_USERNAME", ""),
                os.environ.get("DJANGO_SUPERUSER_PASSWORD") or None,
            )
        self.stdout.write(
            f"Created the account root user {root.username} ({root.arn}). Sign in as it to create an IAM "
            "administrator for daily work, and keep the root user for what only it can do."
        )
        if not root.has_usable_password():
            self.stdout.write("It has no password yet: `manage.py reset_root_user` gives it one.")

    def _create(self, username: str, password: str | None) -> User:
        if not username:
            raise CommandError("With --no-input, give the root user's name: --username or DJANGO_SUPERUSER_USERNAME.")
        try:
            return services.create_root_user(
                username=username, password=password, actor=None, system_user=system_user()
            )
        except ValidationError as error:
            raise CommandError(f"Nothing was created: {_described(error)}") from None

    def _ask_and_create(self, username: str | None, stdin) -> User:
        if hasattr(stdin, "isatty") and not stdin.isatty():
            raise CommandError(
                "Not in a terminal, so nothing can be asked: use --no-input with --username and "
                "DJANGO_SUPERUSER_PASSWORD."
            )
        try:
            name = self._checked_name(username or self._ask_name(), asked=not username)
            while True:
                password = self._ask_password()
                try:
                    return services.create_root_user(
                        username=name, password=password, actor=None, system_user=system_user()
                    )
                except ValidationError as error:
                    if not _about_the_password(error):  # the name or the account changed meanwhile
                        raise CommandError(f"Nothing was created: {_described(error)}") from None
                    self.stderr.write(f"Error: {_described(error)}")
        except (KeyboardInterrupt, EOFError):
            raise CommandError("Cancelled; nothing was created.") from None

    def _ask_name(self) -> str:
        return input(f"Root user name (leave blank for {DEFAULT_NAME!r}): ").strip() or DEFAULT_NAME

    def _checked_name(self, name: str, *, asked: bool) -> str:
        """A name without problems, before a password is asked for (the service checks again)."""
        while True:
            try:
                User(username=name, is_superuser=True).full_clean(exclude=["password"])
                return name
            except ValidationError as error:
                if not asked:
                    raise CommandError(f"Nothing was created: {_described(error)}") from None
                self.stderr.write(f"Error: {_described(error)}")
                name = self._ask_name()

    def _ask_password(self) -> str:
        while True:
            password = getpass.getpass("Password: ")
            if not password:
                self.stderr.write("Error: the root user needs a password.")
            elif getpass.getpass("Password (again): ") != password:
                self.stderr.write("Error: the two passwords differ.")
            else:
                return password


def _about_the_password(error: ValidationError) -> bool:
    """The password validators' refusals are a list; the model's checks name their fields, and
    the service's refusal of a second root user is a single message with its code."""
    return not hasattr(error, "error_dict") and getattr(error, "code", None) != "root_exists"


def _described(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for field, errors in error.message_dict.items():
        label = User._meta.get_field(field).verbose_name if field != "__all__" else ""
        parts += [f"{label}: {message}" if label else message for message in errors]
    return " ".join(parts)
