from federation import provider


def sign_in_provider(request) -> dict:
    """The provider's name for the sign-in page's button, when one is set up."""
    configured = provider.configured()
    return {"sign_in_provider": configured.name if configured is not None else None}
