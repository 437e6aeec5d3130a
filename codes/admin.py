"""The editors' tool: every content model, with the columns, filters and help an editor needs."""

from django.contrib import admin

from codes.models import (
    ClinicalExample,
    CodeModifier,
    CodeProcedure,
    CodeRelation,
    Modifier,
    Nerve,
    PlaceOfService,
    Section,
    Source,
    Specialty,
)


class ClinicalExampleInline(admin.StackedInline):
    model = ClinicalExample
    extra = 0
    fields = ["position", "title", "text"]


class CodeModifierInline(admin.TabularInline):
    model = CodeModifier
    extra = 0
    autocomplete_fields = ["modifier"]
    fields = ["modifier", "note"]


class CodeRelationInline(admin.TabularInline):
    model = CodeRelation
    fk_name = "from_code"
    extra = 0
    autocomplete_fields = ["to_code"]
    fields = ["relation_type", "to_code", "note", "is_verified"]


@admin.register(CodeProcedure)
class CodeProcedureAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "title",
        "status",
        "editorial_state",
        "is_add_on",
        "inpatient_only",
        "updated_at",
        "last_reviewed_on",
    ]
    list_display_links = ["code", "title"]
    list_filter = [
        "editorial_state",
        "status",
        "is_add_on",
        "inpatient_only",
        "section",
        "specialties",
    ]
    list_select_related = ["section"]
    search_fields = ["code", "title", "summary"]
    ordering = ["code"]
    autocomplete_fields = [
        "section",
        "replaced_by",
        "specialties",
        "places_of_service",
        "nerves",
        "sources",
        "inpatient_only_source",
        "work_rvu_source",
    ]
    readonly_fields = [
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "last_reviewed_on",
        "reviewed_by",
    ]
    inlines = [ClinicalExampleInline, CodeModifierInline, CodeRelationInline]
    fieldsets = [
        (
            "The code",
            {
                "fields": [
                    "code",
                    "title",
                    "section",
                    "status",
                    "effective_date",
                    "deleted_date",
                    "replaced_by",
                    "editorial_state",
                ],
                "description": "Write the title in our own words. A deleted code keeps "
                "its page: set its deletion date and the code to report instead.",
            },
        ),
        (
            "What coders read",
            {
                "fields": [
                    "summary",
                    "plain_language",
                    "procedure_description",
                    "medical_necessity",
                    "documentation",
                    "coding_notes",
                ],
                "description": "Markdown: blank lines between paragraphs, '- ' for "
                "lists. Never paste text from a coding website or the CPT book.",
            },
        ),
        (
            "Payment facts",
            {
                "fields": [
                    "is_add_on",
                    "global_period",
                    ("work_rvu", "work_rvu_year", "work_rvu_source"),
                    "inpatient_only",
                    "inpatient_only_as_of",
                    "inpatient_only_source",
                    "inpatient_only_verified",
                    "inpatient_only_note",
                ],
                "description": "Leave a fact empty or 'not yet verified' unless a "
                "source you have read states it; the page then says so.",
            },
        ),
        (
            "Who and where",
            {
                "fields": [
                    "specialties",
                    "specialties_note",
                    "places_of_service",
                    "places_of_service_note",
                    "nerves",
                    "sources",
                ]
            },
        ),
        (
            "Licensed content",
            {
                "classes": ["collapse"],
                "fields": ["official_descriptor"],
                "description": "AMA copyright. Leave empty unless this deployment "
                "holds a CPT licence.",
            },
        ),
        (
            "Record",
            {
                "classes": ["collapse"],
                "fields": readonly_fields,
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "range_start",
        "range_end",
        "parent",
        "name_verified",
        "range_verified",
    ]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Modifier)
class ModifierAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Nerve)
class NerveAdmin(admin.ModelAdmin):
    list_display = ["name", "cranial_nerve_number"]
    search_fields = ["name", "aliases"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(PlaceOfService)
class PlaceOfServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "is_third_party", "accessed_on"]
    list_filter = ["is_third_party"]
    search_fields = ["title", "publisher", "url"]
    prepopulated_fields = {"slug": ["title"]}
