"""Which catalogue actions have a feature behind them (what-can shows only those)."""

from policies.catalogue_data import CONSOLE_FEATURES, all_actions, has_feature
from tests.policies.test_catalogue_coverage import named_actions


def test_every_console_feature_is_an_action_of_the_catalogue():
    catalogue = all_actions()
    assert sorted(action for action in CONSOLE_FEATURES if action.lower() not in catalogue) == []


def test_every_action_the_code_asks_for_is_a_feature():
    catalogue = all_actions()
    asked = {action for action in named_actions() if action.lower() in catalogue}
    assert sorted(action for action in asked if not has_feature(action)) == []


def test_aws_actions_nothing_performs_have_no_feature_and_other_services_always_do():
    assert has_feature("iam:AddUserToGroup") is True
    assert has_feature("IAM:adduSERtogroup") is True
    assert has_feature("iam:CreateSAMLProvider") is False
    assert has_feature("sts:AssumeRoleWithSAML") is False
    assert has_feature("storage:PutObject") is True
