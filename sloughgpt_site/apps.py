"""The admin app, configured to use SloughGPT's admin site as `django.contrib.admin.site`."""

from django.contrib.admin.apps import AdminConfig


class SloughGPTAdminConfig(AdminConfig):
    default_site = "sloughgpt_site.admin.SloughGPTAdminSite"
