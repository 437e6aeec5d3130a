from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from codes.models import CodeProcedure, Modifier, Nerve, Section, Specialty


class CodeSitemap(Sitemap):
    """Every published code page."""

    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return CodeProcedure.objects.published().only("code", "updated_at").order_by("code")

    def lastmod(self, code):
        return code.updated_at

    def get_latest_lastmod(self):
        # For the index, in one query: the default loads every code to find the newest.
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class BrowseSitemap(Sitemap):
    """The home page, the lists and every browse page."""

    changefreq = "monthly"
    priority = 0.5
    list_pages = [
        "codes:home",
        "codes:code-list",
        "codes:section-list",
        "codes:specialty-list",
        "codes:nerve-list",
        "codes:modifier-list",
    ]

    def items(self):
        return [
            *self.list_pages,
            *Section.objects.only("slug"),
            *Specialty.objects.only("slug"),
            *Nerve.objects.only("slug"),
            *Modifier.objects.only("code"),
        ]

    def location(self, item):
        return reverse(item) if isinstance(item, str) else item.get_absolute_url()


SITEMAPS = {"codes": CodeSitemap, "browse": BrowseSitemap}
