"""Guardrails in the admin."""

from django.conf import settings
from django.contrib import admin

from identities import rules
from identities.admin.base import PREVIEWED_DELETION, IAMActionsAdmin, adopt, fields_of
from identities.admin.forms import StaleCheckedForm
from identities.console import perform_previewed, preview_field
from identities.context import PENDING
from identities.forms import BasedOnField
from policies import services
from policies.admin.base import warn
from policies.engine import DocumentKind, Level
from policies.forms import PolicyDocumentField
from policies.models import Guardrail


class GuardrailForm(StaleCheckedForm):
    document = PolicyDocumentField(
        label="Guardrail document", kind=DocumentKind.GUARDRAIL, size_limit=settings.IAM_GUARDRAIL_MAX_SIZE
    )
    based_on = BasedOnField()
    guarded = {"based_on": "document"}

    class Meta:
        model = Guardrail
        fields = ("guardrail_name", "description", "level", "document")

    def shown_tokens(self, stored) -> dict:
        return {"based_on": services.guardrail_token(stored)}

    def refuse_if_stale(self, stored) -> None:
        services.refuse_stale_guardrail(stored, self.based_on("based_on"))


@admin.register(Guardrail)
class GuardrailAdmin(IAMActionsAdmin, admin.ModelAdmin):
    form = GuardrailForm
    iam_list_action, iam_get_action = "iam:ListGuardrails", "iam:GetGuardrail"
    create_change = update_change = staticmethod(services.save_guardrail)
    delete_change = staticmethod(services.delete_guardrail)
    subject_argument = "guardrail"

    def allows(self, request, change, obj=None, **arguments) -> bool:
        # The same service creates (no guardrail) and changes one: ask about "any" for a change
        # before one is chosen.
        return super().allows(request, change, obj if obj is not None else PENDING, **arguments)

    def has_add_permission(self, request, obj=None):
        return rules.allows(request.user, services.save_guardrail)

    # The form previews what the guardrail would change (policies.preview), and the save refuses a stale preview.
    change_form_template = "admin/change_form_previewed.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        stored = Guardrail.objects.filter(pk=object_id).first() if object_id and object_id.isdigit() else None
        change = {"change": "save-guardrail", **({"existing": stored.guardrail_name} if stored else {})}
        extra_context = {**(extra_context or {}), "preview_change": preview_field(change)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    list_display = ("guardrail_name", "level", "description", "updated_at")
    search_fields = ("guardrail_name", "description")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        original = Guardrail.objects.get(pk=obj.pk) if change else None
        saved, findings = perform_previewed(
            request,
            services.save_guardrail,
            guardrail=original,
            based_on=form.based_on("based_on") if change else None,
            **fields_of(data, "guardrail_name", "description", "level", "document"),
        )
        warn(request, [services.finding_in_words(f) for f in findings if f.level is not Level.ERROR])
        adopt(obj, saved)

    # The deletion's confirmation previews who gains what (policies.preview); a stale preview is refused.
    delete_confirmation_template = PREVIEWED_DELETION

    def deletion_change(self, obj) -> dict:
        return {"change": "delete-guardrail", "guardrail_name": obj.guardrail_name}

    def delete_model(self, request, obj):
        perform_previewed(request, services.delete_guardrail, guardrail=obj)
