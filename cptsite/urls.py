from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "CPT Reference editors"
admin.site.site_title = "CPT Reference admin"
admin.site.index_title = "Reference content"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("codes.urls")),
]
