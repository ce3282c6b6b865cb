"""Every iam: and sts: action the code names exists in the catalogue it ships."""

import re
from pathlib import Path

from policies.catalogue_data import SERVICES, all_actions

ROOT = Path(__file__).resolve().parents[2]
ACTION = re.compile(r"[\"'(]((?:iam|sts):[A-Za-z]+)[\"')]")
SOURCES = ["iamconsole", "identities", "policies"]


def named_actions() -> dict[str, str]:
    found = {}
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            if "engine" in path.parts or "migrations" in path.parts or path.name == "catalogue_data.py":
                continue
            for match in ACTION.finditer(path.read_text()):
                found[match.group(1)] = str(path.relative_to(ROOT))
    return found


def test_the_scan_finds_the_consoles_actions():
    found = named_actions()
    assert {"iam:ListUsers", "iam:AddUserToGroup", "iam:CreatePolicyVersion", "iam:ListGuardrails"} <= set(found)


def condition_keys() -> set[str]:
    return {key.lower() for service in SERVICES for key, _ in service.condition_keys}


def test_every_action_named_in_the_code_is_in_the_catalogue():
    catalogue, keys = all_actions(), condition_keys()
    missing = {
        action: where
        for action, where in named_actions().items()
        if action.lower() not in catalogue and action.lower() not in keys
    }
    assert missing == {}
