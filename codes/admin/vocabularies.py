"""The shared vocabularies: an editor's change to one is reviewed, as the public pages show
them (codes/editorial.py REVIEWED_VOCABULARIES)."""

from django.contrib import admin

from codes.admin.forms import ChangeNoteForm
from codes.admin.reviewed import ReviewedAdmin
from codes.models import Modifier, Nerve, PlaceOfService, Section, Source, Specialty


class VocabularyAdmin(ReviewedAdmin):
    form = ChangeNoteForm


@admin.register(Section)
class SectionAdmin(VocabularyAdmin):
    list_display = ["name", "range_start", "range_end", "parent", "name_verified", "range_verified"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Modifier)
class ModifierAdmin(VocabularyAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Specialty)
class SpecialtyAdmin(VocabularyAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Nerve)
class NerveAdmin(VocabularyAdmin):
    list_display = ["name", "cranial_nerve_number"]
    search_fields = ["name", "aliases"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(PlaceOfService)
class PlaceOfServiceAdmin(VocabularyAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Source)
class SourceAdmin(VocabularyAdmin):
    list_display = ["title", "publisher", "confidence", "is_third_party", "accessed_on"]
    list_filter = ["confidence", "is_third_party"]
    search_fields = ["title", "publisher", "url"]
    prepopulated_fields = {"slug": ["title"]}
