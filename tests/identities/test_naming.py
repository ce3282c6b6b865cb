import pytest
from django.core.exceptions import ValidationError

from identities import naming
from identities.models import Group, Role, User


@pytest.mark.parametrize("name", ["mia", "a", "x" * 64, "svc+deploy=1,ok.a@b_c-d"])
def test_valid_user_names_pass(name):
    naming.validate_name(name, max_length=64)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "name_length"),
        ("x" * 65, "name_length"),
        ("has space", "name_characters"),
        ("mia/ops", "name_characters"),
        ("émile", "name_characters"),
        ("semi;colon", "name_characters"),
    ],
)
def test_invalid_user_names_are_refused_with_the_rule(name, code):
    with pytest.raises(ValidationError) as caught:
        naming.validate_name(name, max_length=64)
    assert caught.value.code == code


def test_group_names_may_be_128_characters_but_not_129():
    naming.validate_name("g" * 128, max_length=128)
    with pytest.raises(ValidationError):
        naming.validate_name("g" * 129, max_length=128)


@pytest.mark.parametrize("path", ["/", "/division/", "/a/b/c/", "/odd!~chars/", "/" + "p" * 510 + "/"])
def test_valid_paths_pass(path):
    naming.validate_path(path)


@pytest.mark.parametrize(
    "path", ["", "division", "/division", "division/", "//", "/with space/", "/tab\t/", "/é/", "/" + "p" * 511 + "/"]
)
def test_invalid_paths_are_refused(path):
    with pytest.raises(ValidationError):
        naming.validate_path(path)


@pytest.mark.parametrize(
    ("model", "path", "name", "expected"),
    [
        (User, "/", "mia", "arn:aws:iam::123456789012:user/mia"),
        (User, "/division/", "mia", "arn:aws:iam::123456789012:user/division/mia"),
        (Group, "/", "Developers", "arn:aws:iam::123456789012:group/Developers"),
        (Group, "/eu/teams/", "Developers", "arn:aws:iam::123456789012:group/eu/teams/Developers"),
        (Role, "/service-role/", "Deployer", "arn:aws:iam::123456789012:role/service-role/Deployer"),
    ],
)
def test_arns_join_path_and_name_without_doubling_the_slash(model, path, name, expected, settings):
    settings.IAM_ACCOUNT_ID = "123456789012"
    name_field = {"User": "username", "Group": "group_name", "Role": "role_name"}[model.__name__]
    assert model(path=path, **{name_field: name}).arn == expected


def test_the_root_users_arn_is_the_accounts_root(settings):
    settings.IAM_ACCOUNT_ID = "111122223333"
    assert User(username="owner", is_superuser=True).arn == "arn:aws:iam::111122223333:root"


@pytest.mark.parametrize(
    "tags",
    [{"team": "dev", "cost-center": "42"}, {}, {"k" * 128: "v" * 256}],
)
def test_valid_tags_pass(tags):
    naming.validate_tags(tags)


@pytest.mark.parametrize(
    "tags",
    [
        {"k" * 129: "v"},
        {"k": "v" * 257},
        {"aws:team": "x"},
        {"Team": "a", "team": "b"},
        {"": "x"},
        {"k": 5},
        {f"k{i}": "v" for i in range(51)},
        ["team", "dev"],
        {"bad*key": "v"},
    ],
)
def test_invalid_tags_are_refused(tags):
    with pytest.raises(ValidationError):
        naming.validate_tags(tags)


def test_unique_ids_carry_awss_prefixes():
    assert naming.new_user_id().startswith("AIDA") and len(naming.new_user_id()) == 21
    assert naming.new_group_id().startswith("AGPA")
    assert naming.new_role_id().startswith("AROA")


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("m\u0456a", "U+0456 at position 2 ('\u0456' CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I)"),
        ("oliver smith", "U+0020 at position 7 (SPACE)"),
        ("a;b;c", "U+003B at position 2 (';' SEMICOLON)."),
    ],
)
def test_a_refused_name_says_which_character_at_which_position(name, named):
    with pytest.raises(ValidationError) as caught:
        naming.validate_name(name, max_length=64, kind="user name")
    assert named in caught.value.messages[0]


BIDI_CONTROLS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]


@pytest.mark.parametrize("code_point", BIDI_CONTROLS)
def test_a_bidi_control_in_a_name_is_refused_and_named_without_being_shown(code_point):
    with pytest.raises(ValidationError) as caught:
        naming.validate_name(f"ab{chr(code_point)}cd", max_length=64, kind="group name")
    message = caught.value.messages[0]
    assert caught.value.code == "name_characters"
    assert f"'abU+{code_point:04X}cd'" in message
    assert f"U+{code_point:04X} at position 3 (" in message
    assert "bidirectional control" in message
    assert chr(code_point) not in message


def test_text_is_shown_safely_with_each_bidi_control_written_as_its_code_point():
    assert naming.shown_safely("pay \u202egnp.exe\u202c now") == "pay U+202Egnp.exeU+202C now"
    assert naming.shown_safely("plain, caf\u00e9") == "plain, caf\u00e9"
