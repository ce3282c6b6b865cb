from django.contrib.admin.apps import AdminConfig


class IAMAdminConfig(AdminConfig):
    default_site = "iamconsole.admin.IAMAdminSite"
