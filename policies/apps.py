from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Policies"

    def ready(self):
        from identities import generation, guards
        from policies import rules  # noqa: F401  (registers the rule table's changes of policies)
        from policies.expectations.state import guard as expectations_guard

        # Every change through the rule table keeps the access expectations (policies.expectations).
        guards.register(expectations_guard)

        # What a decision is built from, on this app's side (identities.generation).
        # A policy in use cannot be deleted (its attachments protect it), and a new one is in use nowhere.
        generation.watch(
            "policies_managedpolicy", columns=("policy_name", "path", "aws_managed"), on_insert=False, on_delete=False
        )
        # Only default versions of policies in use (attached, or a boundary) are ever evaluated.
        generation.watch(
            "policies_policyversion",
            columns=("policy_id", "is_default", "document"),
            when_row=(
                "{row}.is_default AND ("
                "EXISTS (SELECT 1 FROM policies_policyattachment a WHERE a.policy_id = {row}.policy_id) OR "
                "EXISTS (SELECT 1 FROM policies_permissionboundary b WHERE b.policy_id = {row}.policy_id))"
            ),
        )
        generation.watch("policies_inlinepolicy", columns=("user_id", "group_id", "role_id", "policy_name", "document"))
        generation.watch("policies_policyattachment", columns=("user_id", "group_id", "role_id", "policy_id"))
        generation.watch("policies_permissionboundary", columns=("user_id", "role_id", "policy_id"))
        generation.watch("policies_guardrail", columns=("guardrail_name", "level", "document"))
