from django.urls import path, register_converter

from codes import views, views_search


class CodeConverter:
    """Match anything code-shaped, so a malformed code still reaches a helpful 404."""

    regex = r"[0-9A-Za-z]{1,10}"

    def to_python(self, value):
        return value.upper()

    def to_url(self, value):
        return value


register_converter(CodeConverter, "code")

app_name = "codes"
urlpatterns = [
    path("", views.home, name="home"),
    path("codes/", views.code_list, name="code-list"),
    path("codes/<code:code>/", views.code_detail, name="code-detail"),
    path("sections/", views.section_list, name="section-list"),
    path("sections/<slug:slug>/", views.section_detail, name="section-detail"),
    path("specialties/", views.specialty_list, name="specialty-list"),
    path("specialties/<slug:slug>/", views.specialty_detail, name="specialty-detail"),
    path("nerves/", views.nerve_list, name="nerve-list"),
    path("nerves/<slug:slug>/", views.nerve_detail, name="nerve-detail"),
    path("modifiers/", views.modifier_list, name="modifier-list"),
    path("modifiers/<str:code>/", views.modifier_detail, name="modifier-detail"),
    path("search/", views_search.search, name="search"),
    path("api/search", views_search.autocomplete, name="api-search"),
    path("healthz", views.healthz, name="healthz"),
]
