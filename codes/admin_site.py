"""The admin site, with the one link Django's own site leaves unguarded.

Outside codes/admin/ on purpose: Django imports the site while it sets the admin up, and
importing the package would register the models on a site not yet made."""

from django.contrib import admin
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.urls import path


class ReferenceAdminSite(admin.AdminSite):
    site_header = "CPT Reference editors"
    site_title = "CPT Reference admin"
    index_title = "Reference content"

    def get_urls(self):
        urls = super().get_urls()
        guarded = path(
            "r/<int:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [guarded, *(url for url in urls if getattr(url, "name", "") != "view_on_site")]

    def view_on_site(self, request, content_type_id, object_id):
        """Django's "view on site" redirect, only for a user who may view the row: without
        the check, any staff account could learn drafts' code numbers from it."""
        content_type = ContentType.objects.filter(pk=content_type_id).first()
        model = content_type.model_class() if content_type else None
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_permission(request):
            raise Http404("No such page.")
        return contenttype_views.shortcut(request, content_type_id, object_id)
