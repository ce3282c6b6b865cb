"""The admin site, admitting only those the account's policies let in."""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404


class IAMAdminSite(admin.AdminSite):
    site_header = "iamconsole administration"
    site_title = "iamconsole admin"
    index_title = "Identities and policies"
    site_url = "/"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and any(user.has_module_perms(app) for app in ("identities", "policies"))
        )

    def admin_view(self, view, cacheable=False):
        # One sign-in for the whole console: anonymous visitors go to the
        # console's sign-in page; a signed-in user without access gets 403.
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if not self.has_permission(request):
                if request.user.is_authenticated:
                    raise PermissionDenied("Your policies do not let you use the admin.")
                return redirect_to_login(request.get_full_path())
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, view)

    def password_change(self, request, extra_context=None):
        # Passwords change through the console's services, which audit them.
        raise Http404("Passwords are changed in the console.")

    def login(self, request, extra_context=None):
        return redirect_to_login(request.GET.get("next", "/admin/"))
