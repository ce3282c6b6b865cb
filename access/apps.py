from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access requests"

    def ready(self):
        from access import rules  # noqa: F401  (registers the rule table's changes of access requests)
