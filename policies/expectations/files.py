"""Reading an expectations file (docs/expectations.md), for the commands and the console."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError

from identities import jsoninput
from policies.expectations.definition import Definition, read_file


def read_path(path: Path) -> list[Definition]:
    """The expectations of the JSON file at `path`; a ValidationError naming every problem."""
    try:
        text = path.read_bytes()
    except OSError as error:
        raise ValidationError([f"Cannot read {path}: {error.strerror}."]) from None
    return read_text(text, name=str(path))


def read_text(text: bytes | str, *, name: str = "the file") -> list[Definition]:
    try:
        data = jsoninput.loads(text)
    except jsoninput.TooDeep as error:
        raise ValidationError([f"{name} is {error}."]) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError([f"{name} is not JSON: {error}."]) from None
    if jsoninput.contains_nul(data):
        raise ValidationError([f"{name}: text may not contain NUL characters."])
    return read_file(data)


def file_text(definitions: list[Definition]) -> str:
    """The file that holds these expectations, as load_expectations reads it."""
    return json.dumps({"expectations": [definition.file_json() for definition in definitions]}, indent=2) + "\n"
