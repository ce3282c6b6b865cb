from tests.oidc_provider.fixtures import oidc_provider, oidc_settings  # noqa: F401
