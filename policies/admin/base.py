"""What the admin's pages of policies share."""

from django.contrib import messages


def warn(request, texts: list[str]) -> None:
    for text in texts:
        messages.warning(request, text)
