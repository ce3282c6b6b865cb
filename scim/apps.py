from django.apps import AppConfig


class ScimConfig(AppConfig):
    name = "scim"
    verbose_name = "SCIM provisioning"

    def ready(self):
        from scim import rules  # noqa: F401  (registers the rule table's changes of provisioning)
