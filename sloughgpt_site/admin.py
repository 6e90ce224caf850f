"""The staff admin site: titled SloughGPT, with allauth's e-mail addresses shown in the one
"Accounts" section beside our users and API tokens (both apps are called "Accounts", which
otherwise makes two sections of that name)."""

from django.contrib import admin

# Sections whose models are listed under another app's section: allauth's `account` app.
MERGED_SECTIONS = {"account": "accounts"}


class SloughGPTAdminSite(admin.AdminSite):
    site_header = "SloughGPT administration"
    site_title = "SloughGPT admin"
    index_title = "SloughGPT"

    def get_app_list(self, request, app_label=None):
        # A merged section's own page (/admin/account/) stays as it is: its models' breadcrumbs link there.
        if app_label is not None and app_label not in MERGED_SECTIONS.values():
            return super().get_app_list(request, app_label)
        app_list = super().get_app_list(request)
        by_label = {app["app_label"]: app for app in app_list}
        for source, target in MERGED_SECTIONS.items():
            if source in by_label and target in by_label:
                merged = by_label[target]["models"] + by_label[source]["models"]
                by_label[target]["models"] = sorted(merged, key=lambda model: model["name"])
                app_list.remove(by_label[source])
        if app_label is not None:
            return [app for app in app_list if app["app_label"] == app_label]
        return app_list
