"""Commands about identities (seed_demo, which creates policies too, is tested in tests/policies/)."""

import getpass
import io

import pytest
from django.core.management import CommandError, call_command, get_commands

from identities.audit import AuditEvent
from identities.management.commands import createsuperuser
from identities.models import User

pytestmark = pytest.mark.django_db

ROOT_ARN = "arn:aws:iam::123456789012:root"
PASSWORD = "a-root-password-for-tests"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def answers(monkeypatch, *, names=(), passwords=()):
    """What the operator types: each prompt takes the next answer; one too many fails the test."""
    names, passwords = iter(names), iter(passwords)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(names))
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(passwords))


def create(*arguments, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("createsuperuser", *arguments, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def nothing_created() -> bool:
    return not User.objects.exists() and not AuditEvent.objects.exists()


def test_identities_provides_the_command_not_django():
    assert get_commands()["createsuperuser"] == "identities"


def test_createsuperuser_creates_the_root_user_and_refuses_a_second(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    create("--no-input", "--username", "owner")
    owner = User.objects.get(username="owner")
    assert (owner.is_superuser, owner.arn) == (True, ROOT_ARN)
    with pytest.raises(CommandError, match="already has its root user"):
        create("--no-input", "--username", "owner2")
    assert User.objects.filter(is_superuser=True).count() == 1


def test_no_input_creates_through_the_service_with_its_audit_record(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    monkeypatch.setattr(getpass, "getuser", lambda: "operator")
    out, _ = create("--no-input", "--username", "owner")
    owner = User.objects.get()
    assert owner.check_password(PASSWORD)
    assert list(owner.password_history.values_list("password", flat=True)) == [owner.password]
    event = AuditEvent.objects.get()
    assert (event.event_name, event.actor_arn, event.target_arn) == ("CreateAccountRootUser", "", ROOT_ARN)
    assert (event.after["username"], event.after["system_user"]) == ("owner", "operator")
    assert "Created the account root user owner" in out


def test_no_input_takes_the_name_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "owner")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    create("--no-input")
    assert list(User.objects.values_list("username", "is_superuser")) == [("owner", True)]


def test_no_input_without_a_password_leaves_the_root_user_unable_to_sign_in(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    out, _ = create("--no-input", "--username", "owner")
    assert User.objects.get().has_usable_password() is False
    assert "reset_root_user" in out


def test_no_input_without_a_name_is_refused(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    with pytest.raises(CommandError, match="--username or DJANGO_SUPERUSER_USERNAME"):
        create("--no-input")
    assert nothing_created()


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("no spaces allowed", PASSWORD, "user name: "),
        ("x" * 65, PASSWORD, "user name: "),
        ("owner", "123", "Nothing was created: "),
    ],
)
def test_no_input_refuses_a_bad_name_or_password_and_creates_nothing(monkeypatch, name, password, message):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    with pytest.raises(CommandError, match=message):
        create("--no-input", "--username", name)
    assert nothing_created()


def test_interactive_asks_the_name_and_the_password_twice(monkeypatch):
    answers(monkeypatch, names=["owner"], passwords=[PASSWORD, PASSWORD])
    create(stdin=Terminal())
    owner = User.objects.get()
    assert (owner.username, owner.is_superuser, owner.check_password(PASSWORD)) == ("owner", True, True)
    assert AuditEvent.objects.get().event_name == "CreateAccountRootUser"


def test_interactive_offers_root_as_the_name(monkeypatch):
    answers(monkeypatch, names=[""], passwords=[PASSWORD, PASSWORD])
    create(stdin=Terminal())
    assert list(User.objects.values_list("username", flat=True)) == ["root"]


def test_interactive_asks_again_after_a_bad_name_or_password(monkeypatch):
    answers(
        monkeypatch,
        names=["no spaces allowed", "owner"],
        passwords=["", PASSWORD, "something else", "123", "123", PASSWORD, PASSWORD],
    )
    _, err = create(stdin=Terminal())
    assert User.objects.get().username == "owner"
    assert AuditEvent.objects.count() == 1
    assert [line.split(":")[0] for line in err.splitlines()] == ["Error"] * 4
    assert "needs a password" in err and "differ" in err


def test_interactive_with_a_bad_username_option_is_refused_without_asking(monkeypatch):
    answers(monkeypatch)
    with pytest.raises(CommandError, match="user name: "):
        create("--username", "no spaces allowed", stdin=Terminal())
    assert nothing_created()


def test_interactive_is_refused_outside_a_terminal(monkeypatch):
    answers(monkeypatch)
    with pytest.raises(CommandError, match="--no-input"):
        create(stdin=io.StringIO())
    assert nothing_created()


def test_interactive_is_refused_before_asking_when_root_exists(monkeypatch, root):
    answers(monkeypatch)
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="reset_root_user"):
        create(stdin=Terminal())
    assert list(User.objects.values_list("username", flat=True)) == [root.username]
    assert AuditEvent.objects.count() == events


def test_cancelling_creates_nothing(monkeypatch):
    def interrupted(prompt=""):
        raise KeyboardInterrupt

    monkeypatch.setattr(createsuperuser, "input", interrupted, raising=False)
    with pytest.raises(CommandError, match="Cancelled"):
        create(stdin=Terminal())
    assert nothing_created()


@pytest.mark.parametrize("method", ["create_user", "create_superuser"])
def test_the_user_manager_refuses_to_create_users(method):
    with pytest.raises(NotImplementedError, match="identities.services"):
        getattr(User.objects, method)("owner", password=PASSWORD)
    assert nothing_created()


def test_migrations_are_complete():
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


# changepassword: through the password service, never straight to the row


def change_password(username: str, stdin=None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("changepassword", username, stdout=out, stderr=err, stdin=stdin or Terminal())
    return out.getvalue(), err.getvalue()


def test_identities_provides_changepassword_not_django():
    assert get_commands()["changepassword"] == "identities"


def test_changepassword_goes_through_the_service_with_audit_and_history(monkeypatch):
    from identities.passwords import PasswordHistory
    from tests.factories import UserFactory

    mia = UserFactory(username="mia")
    answers(monkeypatch, passwords=["x", "x", PASSWORD, PASSWORD])
    out, err = change_password("MIA")
    mia.refresh_from_db()
    assert mia.check_password(PASSWORD)
    assert "Error:" in err and "The password of mia is changed" in out
    events = list(AuditEvent.objects.filter(target_arn=mia.arn).values_list("event_name", "actor_arn"))
    assert events == [("UpdateLoginProfile", "")]
    assert PasswordHistory.objects.filter(user=mia).count() == 1


def test_changepassword_refuses_the_root_user_with_a_pointer(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    create("--no-input", "--username", "owner")
    before = (User.objects.get().password, AuditEvent.objects.count())
    answers(monkeypatch)
    with pytest.raises(CommandError, match="reset_root_user"):
        change_password("owner")
    assert (User.objects.get().password, AuditEvent.objects.count()) == before


def test_changepassword_outside_a_terminal_or_for_no_one_changes_nothing(monkeypatch):
    from tests.factories import UserFactory

    mia = UserFactory(username="mia")
    answers(monkeypatch)
    with pytest.raises(CommandError, match="Not in a terminal"):
        change_password("mia", stdin=io.StringIO())
    with pytest.raises(CommandError, match="no user 'nobody'"):
        change_password("nobody")
    assert (User.objects.get(pk=mia.pk).password, AuditEvent.objects.count()) == (mia.password, 0)
