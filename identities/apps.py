from django.apps import AppConfig
from django.db.models import CharField
from django.db.models.functions import Lower


class IdentitiesConfig(AppConfig):
    name = "identities"
    verbose_name = "Identities"

    def ready(self):
        # `name__lower=value.lower()` compares as the unique constraints on Lower(name) do,
        # so those constraints' indexes answer it; `__iexact` (UPPER, or LIKE on SQLite)
        # would read every row.
        CharField.register_lookup(Lower)
