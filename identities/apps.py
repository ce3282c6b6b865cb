from django.apps import AppConfig
from django.db.models import CharField
from django.db.models.functions import Lower


class IdentitiesConfig(AppConfig):
    name = "identities"
    verbose_name = "Identities"

    def ready(self):
        from identities import generation

        # `name__lower=value.lower()` compares as the unique constraints on Lower(name) do,
        # so those constraints' indexes answer it; `__iexact` (UPPER, or LIKE on SQLite)
        # would read every row.
        CharField.register_lookup(Lower)
        # What a decision is built from, on this app's side (policies adds its own tables).
        # A new user or role matters: an imported trust policy may name it by unique ID.
        generation.watch("identities_user", columns=("username", "path", "tags", "is_active", "is_superuser", "iam_id"))
        generation.watch("identities_group", columns=("group_name", "path", "iam_id"), on_insert=False)
        generation.watch("identities_membership")
        generation.watch("identities_role", columns=("role_name", "path", "trust_policy", "tags", "iam_id"))
        generation.watch("identities_roleassignment", columns=("user_id", "role_id", "expires_at"))
        generation.connect(self)
