from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from codes.cache import cached_for_readers
from codes.sitemaps import SITEMAPS
from codes.views.browse import robots_txt
from cptsite.health import healthz

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # An index of sitemaps, each at most 50,000 addresses (the sitemaps.org limit), so a
    # catalogue of any size is listed whole.
    path(
        "sitemap.xml",
        cached_for_readers(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<slug:section>.xml",
        cached_for_readers(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("robots.txt", robots_txt, name="robots-txt"),
    path("healthz", healthz, name="healthz"),
    path("", include("codes.urls")),
]
