"""The account's password policy in the admin."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from identities import rules, services
from identities.admin.base import adopt, allowed
from identities.passwords import PasswordPolicy


@admin.register(PasswordPolicy)
class PasswordPolicyAdmin(admin.ModelAdmin):
    """The account's one password policy, read and changed under its IAM actions."""

    def has_view_permission(self, request, obj=None):
        return allowed(request, "iam:GetAccountPasswordPolicy")

    def has_change_permission(self, request, obj=None):
        return rules.allows(request.user, services.update_password_policy)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied("Your policies do not allow iam:GetAccountPasswordPolicy.")
        return redirect("admin:identities_passwordpolicy_change", 1)

    def get_object(self, request, object_id, from_field=None):
        # The defaults until first saved, so the page never lacks its one row.
        return PasswordPolicy.current() if str(object_id) == "1" else None

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.fields}
        adopt(obj, rules.perform(request.user, services.update_password_policy, **fields))
