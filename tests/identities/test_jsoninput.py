"""JSON from clients: nesting measured before decoding, NUL found without recursion."""

import pytest
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput

from identities import jsoninput
from identities.forms import BoundedJSONField
from policies.engine import jsontext

LIMIT = 64


def nested_list(depth: int, leaf: object = 1) -> list:
    """A list `depth` levels deep, built without recursion."""
    value: object = leaf
    for _ in range(depth):
        value = [value]
    return value


def test_the_limit_is_64_for_the_console_and_the_engine_alike():
    assert jsoninput.MAX_DEPTH == jsontext.MAX_DEPTH == LIMIT


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("[" * LIMIT + "]" * LIMIT, None),
        ("[" * (LIMIT + 1) + "]" * (LIMIT + 1), LIMIT),
        ("[" * 100_000, LIMIT),
        ('{"a":' * 100_000, 5 * LIMIT),
        ("[{" * 32 + "[" + "]}" * 32, 2 * 32),
        ("[" * LIMIT + "]" + "[" + "]" * LIMIT, None),
        ('["' + "[" * 100_000 + '"]', None),
        ('["\\"' + "[" * 100_000 + '"]', None),
        ('["\\\\", ' + "[" * LIMIT + "]" * LIMIT + "]", len('["\\\\", ') + LIMIT - 1),
        ('"' + "[" * 100_000, None),
        ("", None),
    ],
    ids=[
        "at-the-limit",
        "one-past",
        "unterminated",
        "objects",
        "arrays-and-objects",
        "siblings-are-not-deeper",
        "brackets-in-a-string",
        "escaped-quote",
        "escaped-backslash",
        "unterminated-string",
        "empty",
    ],
)
def test_the_first_level_too_many_is_found_outside_strings(text, offset):
    assert jsoninput.too_deep_at(text) == offset
    assert jsontext.too_deep_at(text) == offset


def test_too_deep_text_is_refused_before_decoding_with_its_place():
    with pytest.raises(jsoninput.TooDeep) as refused:
        jsoninput.loads('{\n  "a": ' + "[" * 100_000)
    assert (refused.value.line, refused.value.column) == (2, 8 + LIMIT - 1)
    assert str(refused.value) == f"nested deeper than {LIMIT} levels (line 2, column {8 + LIMIT - 1})"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_bytes_are_read_as_json_reads_them(encoding):
    assert jsoninput.loads('{"a": ["\\u00e9", 1]}'.encode(encoding)) == {"a": ["é", 1]}
    with pytest.raises(jsoninput.TooDeep):
        jsoninput.loads(("[" * 100_000).encode(encoding))


def test_text_at_the_limit_decodes():
    assert jsoninput.loads("[" * LIMIT + "]" * LIMIT) == nested_list(LIMIT - 1, [])


def test_nul_is_found_in_keys_values_and_deep_lists():
    assert jsoninput.contains_nul({"a": ["b", {"c\x00": 1}]}) is True
    assert jsoninput.contains_nul({"a": ["b", {"c": "d\x00"}]}) is True
    assert jsoninput.contains_nul(nested_list(100_000, "x\x00")) is True
    assert jsoninput.contains_nul(nested_list(100_000, "x")) is False
    assert jsoninput.contains_nul({"a": [1, 2.5, None, True, "\\u0000"]}) is False


def test_the_form_field_refuses_deep_text_and_shows_it_again_as_typed():
    field = BoundedJSONField(required=False)
    text = "[" * 100_000
    with pytest.raises(ValidationError) as refused:
        field.clean(text)
    assert refused.value.messages == [f"The JSON is nested deeper than {LIMIT} levels (line 1, column {LIMIT + 1})."]
    assert isinstance(field.bound_data(text, None), InvalidJSONInput)
    assert field.has_changed({}, text) is True
    assert field.clean("[" * LIMIT + "]" * LIMIT) == nested_list(LIMIT - 1, [])


def test_the_form_field_refuses_nul():
    with pytest.raises(ValidationError) as refused:
        BoundedJSONField().clean('{"team": "a\\u0000b"}')
    assert refused.value.messages == ["Text in the JSON may not contain NUL characters."]
