from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation"

    def ready(self):
        from federation import rules  # noqa: F401  (registers the rule table's changes of federation)
