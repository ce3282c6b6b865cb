"""The save after a preview: refused when the permissions moved since the preview saw them."""

from django.core.exceptions import ValidationError
from django.db import router

from identities import generation
from identities.models import PermissionsGeneration

STALE = "The preview is stale; preview again."


def refuse_stale(seen: int | None) -> None:
    """Inside the saving transaction: take the generation's row lock (so no other change
    lands between this check and the save) and refuse when it is not the one the preview
    saw. `seen` None: the save came without a preview (a form that offers none)."""
    if seen is None:
        return
    if generation.lock(router.db_for_write(PermissionsGeneration)) != seen:
        raise ValidationError(STALE, code="stale")
