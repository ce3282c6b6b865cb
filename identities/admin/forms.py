"""The change forms' refusal of a save based on what is no longer stored."""

from django import forms


class StaleCheckedForm(forms.ModelForm):
    """A change form that carries the tokens of the documents it shows (identities.staleness)
    and refuses a save based on what is no longer stored as its own error, never a server
    error: Django's admin does not catch a ValidationError from save_model. The admin
    validates and saves in one transaction and the services' checks called here lock the
    row, so nobody changes it in between; the services check again when they save."""

    # {token field: the field whose shown value it stands for}; not checked when read-only.
    guarded: dict[str, str] = {}

    def shown_tokens(self, stored) -> dict:
        """{token field: its token for `stored`, the row as read from the database}."""
        return {}

    def refuse_if_stale(self, stored) -> None:
        """The services' check of `stored` (the row, locked) against the tokens posted."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.initial.update(self.shown_tokens(type(self.instance).objects.get(pk=self.instance.pk)))

    def based_on(self, token_field: str):
        """The token posted for an editable field; None when it is read-only here (nor saved)."""
        return self.cleaned_data.get(token_field) if self.guarded[token_field] in self.fields else None

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        stored = type(self.instance).objects.select_for_update().filter(pk=self.instance.pk).first()
        if stored is not None:  # deleted meanwhile: nothing of it left to overwrite
            self.refuse_if_stale(stored)
        return cleaned
