from django.urls import path, register_converter

from codes.cache import cached_for_readers as cached
from codes.views import api, browse, check, compare, diagnoses, edits, releases, search


class CodeConverter:
    """Match anything code-shaped, so a malformed code still reaches a helpful 404."""

    regex = r"[0-9A-Za-z]{1,10}"

    def to_python(self, value):
        return value.upper()

    def to_url(self, value):
        return value


class ModifierConverter(CodeConverter):
    """Match anything modifier-shaped (letters and digits), so junk is a plain 404."""

    regex = r"[0-9A-Za-z]{1,4}"


class DiagnosisCodeConverter:
    """Match any text without a slash, kept as typed: the view redirects "g510" to
    "G51.0" and explains what is not an ICD-10-CM code."""

    regex = r"[^/]{1,40}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(CodeConverter, "code")
register_converter(DiagnosisCodeConverter, "diagnosis")
register_converter(ModifierConverter, "modifier")

app_name = "codes"
urlpatterns = [
    path("", cached(browse.home), name="home"),
    path("codes/", cached(browse.code_list), name="code-list"),
    path("codes/<code:code>/", cached(browse.code_detail), name="code-detail"),
    path(
        "diagnoses/<diagnosis:code>/",
        cached(diagnoses.diagnosis_detail),
        name="diagnosis-detail",
    ),
    path("sections/", cached(browse.section_list), name="section-list"),
    path("sections/<slug:slug>/", cached(browse.section_detail), name="section-detail"),
    path("specialties/", cached(browse.specialty_list), name="specialty-list"),
    path("specialties/<slug:slug>/", cached(browse.specialty_detail), name="specialty-detail"),
    path("nerves/", cached(browse.nerve_list), name="nerve-list"),
    path("nerves/<slug:slug>/", cached(browse.nerve_detail), name="nerve-detail"),
    path("modifiers/", cached(browse.modifier_list), name="modifier-list"),
    path("modifiers/<modifier:code>/", cached(browse.modifier_detail), name="modifier-detail"),
    path("search/", cached(search.search), name="search"),
    path("compare/", cached(compare.compare), name="compare"),
    path("edits/", cached(edits.pair_check), name="edits"),
    path("api/edits", cached(edits.pair_check_json), name="api-edits"),
    path("api/codes/<code:code>", cached(api.code_detail), name="api-code-detail"),
    path("api/fees", cached(api.fees), name="api-fees"),
    path("api/search", cached(search.autocomplete), name="api-search"),
    # Never page-cached: the answer depends on a note that must not be kept.
    path("check/", check.check_page, name="check"),
    path("api/check", check.check_json, name="api-check"),
    path("releases/", cached(releases.release_list), name="release-list"),
    path("releases/<slug:label>/", cached(releases.release_detail), name="release-detail"),
]
