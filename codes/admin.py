"""The editors' tool: every content model, with history, review and safe saving."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.models import to_historic

from codes.admin_input import (
    ValidatedHistoryAdmin,
    ValidatedStackedInline,
    ValidatedTabularInline,
)
from codes.csv_format import export_response
from codes.history import lists_at, restore_rows, rows_at, rows_to_restore
from codes.models import (
    CODE_FORMAT_RE,
    ClinicalExample,
    CodeModifier,
    CodeProcedure,
    CodeRelation,
    EditorialState,
    Modifier,
    Nerve,
    PlaceOfService,
    Section,
    Source,
    Specialty,
)
from codes.search.matching import search_codes

PUBLISH_PERMISSION = "codes.publish_codeprocedure"


def can_publish(user):
    return user.has_perm(PUBLISH_PERMISSION)


class ClinicalExampleInline(ValidatedStackedInline):
    model = ClinicalExample
    extra = 0
    fields = ["position", "title", "text"]


class CodeModifierInline(ValidatedTabularInline):
    model = CodeModifier
    extra = 0
    autocomplete_fields = ["modifier"]
    fields = ["modifier", "note"]


class CodeRelationInline(ValidatedTabularInline):
    model = CodeRelation
    fk_name = "from_code"
    extra = 0
    autocomplete_fields = ["to_code"]
    fields = ["relation_type", "to_code", "note", "is_verified"]


class CodeProcedureForm(forms.ModelForm):
    """The code form, with the version it was opened at, so a save that would overwrite
    someone else's newer change is refused with what changed."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CodeProcedure
        # The admin picks the fields from its fieldsets; this form only adds a check.
        fields = "__all__"  # noqa: DJ007

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        historic = to_historic(self.instance)
        if historic is not None and not self.is_bound:
            # A revert form: its lists as that version had them, not as they are now.
            for name, ids in lists_at(historic).items():
                if name in self.fields:
                    self.initial[name] = ids
        if self.instance.pk:
            # The stored version, not the instance's: a revert form is built from an old
            # historical copy, yet it must only conflict with saves made after it opened.
            self.fields["opened_version"].initial = (
                CodeProcedure.objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
        state = self.fields.get("editorial_state")
        if state is not None and user is not None and not can_publish(user):
            if self.instance.editorial_state == EditorialState.PUBLISHED:
                # An editor may leave a published code as it is, or change it, which
                # sends it to a reviewer; only a reviewer may unpublish.
                allowed = {EditorialState.PUBLISHED, EditorialState.IN_REVIEW}
                state.help_text = (
                    "This code is published. If you change anything, saving sends it to a "
                    "reviewer, and the public page is hidden until they publish it."
                )
            else:
                allowed = {EditorialState.DRAFT, EditorialState.IN_REVIEW}
            state.choices = [choice for choice in state.choices if choice[0] in allowed]

    def clean(self):
        cleaned = super().clean()
        self.stored = None
        if self.instance.pk:
            # Lock the row for the rest of the save, so two saves cannot both pass; the
            # admin's save_model reads the stored state from here.
            self.stored = CodeProcedure.objects.select_for_update().get(pk=self.instance.pk)
            opened = cleaned.get("opened_version")
            if opened is not None and self.stored.version != opened:
                raise forms.ValidationError(conflict_message(self.stored, opened))
        if (
            self.user is not None
            and not can_publish(self.user)
            and cleaned.get("editorial_state") == EditorialState.PUBLISHED
        ):
            content_changes = set(self.changed_data) - {"editorial_state", "opened_version"}
            if self.instance.editorial_state != EditorialState.PUBLISHED:
                raise forms.ValidationError("Only a reviewer can publish.")
            if content_changes:
                # A change to published content goes to a reviewer first.
                cleaned["editorial_state"] = EditorialState.IN_REVIEW
        return cleaned


# Fields every save touches; naming them would hide what the other editor really changed.
BOOKKEEPING_FIELDS = {"version", "updated_by", "last_reviewed_on", "reviewed_by", "created_by"}


def conflict_message(current, opened_version):
    """Say who changed the code since this form was opened, and which fields."""
    history = current.history.select_related("history_user")
    latest = history.first()
    opened = history.filter(version=opened_version).first()
    changed = []
    if latest is not None and opened is not None:
        changed = [
            str(CodeProcedure._meta.get_field(change.field).verbose_name)
            for change in latest.diff_against(opened).changes
            if change.field not in BOOKKEEPING_FIELDS
        ]
    who = latest.history_user if latest and latest.history_user else "someone"
    when = timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M")
    fields = ", ".join(changed) if changed else "related rows or notes"
    return (
        f"{current.code} was changed by {who} at {when} after you opened it "
        f"(changed: {fields}). Nothing was saved. Open the code again to see their "
        "version, then make your change."
    )


@admin.register(CodeProcedure)
class CodeProcedureAdmin(ValidatedHistoryAdmin):
    form = CodeProcedureForm
    list_display = [
        "code",
        "title",
        "status",
        "editorial_state",
        "updated_at",
        "last_reviewed_on",
        "reviewed_by",
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
    list_select_related = ["section", "reviewed_by"]
    search_fields = ["code"]  # the site's own search does the work: get_search_results
    search_help_text = "A code, part of one, a range (64864-64868) or words (tongue nerve)."
    ordering = ["code"]
    list_per_page = 50
    actions = ["send_for_review", "publish", "return_to_draft", "export_csv"]
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
    # Kept by the system, shown to editors: who made and reviewed the code, and when.
    record_fields = [
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "last_reviewed_on",
        "reviewed_by",
        "version",
    ]
    readonly_fields = ["preview_link", *record_fields]
    inlines = [ClinicalExampleInline, CodeModifierInline, CodeRelationInline]
    history_list_display = ["editorial_state"]
    object_history_template = "admin/codes/codeprocedure/object_history.html"
    object_history_form_template = "admin/codes/codeprocedure/object_history_form.html"
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
                    "preview_link",
                    "opened_version",
                ],
                "description": "Write the title in our own words. A retired code is "
                "never deleted: set its status to deleted, the deletion date and the "
                "code to report instead. Drafts and codes in review are hidden from the "
                "public; only a reviewer can publish.",
            },
        ),
        (
            "What coders read",
            {
                "fields": [*CodeProcedure.PROSE_FIELDS, "search_terms"],
                "description": "Markdown: a blank line between paragraphs, '- ' for a "
                "list, **bold**. Never paste text from a coding website or the CPT book. "
                "HTML and scripts are removed when the page is shown.",
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
                "description": "Leave a fact empty or 'not yet verified' unless a source "
                "you have read states it; the page then says so.",
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
                "description": "AMA copyright. Leave empty unless this deployment holds "
                "a CPT licence.",
            },
        ),
        (
            "Record",
            {
                "classes": ["collapse"],
                "fields": record_fields,
            },
        ),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)

        class FormForUser(form_class):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, user=request.user, **form_kwargs)

        return FormForUser

    @admin.display(description="Preview")
    def preview_link(self, obj):
        if not obj or not obj.pk:
            return "Save first to preview."
        # A refused form shows the code as typed, which may be no code at all.
        if not CODE_FORMAT_RE.match(obj.code or ""):
            return "Correct the code to preview."
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Open the page as it will look '
            "when published</a> (editors see drafts, with a banner).",
            obj.get_absolute_url(),
        )

    def get_search_results(self, request, queryset, search_term):
        """Search like the site does: codes, prefixes, ranges and words, ranked as the
        search page ranks them, unless the editor sorted by a column."""
        if not search_term.strip():
            return queryset, False
        ranked = search_codes(queryset, search_term).queryset
        if ORDER_VAR in request.GET:
            ranked = ranked.order_by(*queryset.query.order_by)
        return ranked, False

    def save_model(self, request, obj, form, change):
        user = request.user
        stored = form.stored if change else None
        if not change:
            obj.created_by = user
        obj.updated_by = user
        becomes_published = obj.editorial_state == EditorialState.PUBLISHED
        was_published = stored is not None and stored.is_published
        if becomes_published and not can_publish(user) and not was_published:
            # The form refuses this already; this guards a crafted request too.
            raise PermissionDenied("Only a reviewer can publish.")
        if becomes_published and can_publish(user) and (not was_published or form.has_changed()):
            # Publishing, or a reviewer's own edit of a published code, is a review.
            obj.last_reviewed_on = timezone.localdate()
            obj.reviewed_by = user
        if stored is not None:
            obj.version = stored.version + 1
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if any(formset.has_changed() for formset in formsets):
            self.review_related_change(request, form.instance)

    def review_related_change(self, request, code):
        """Examples, modifier notes and relations are content too: an editor's change to
        those of a published code sends it to a reviewer first."""
        if code.is_published and not can_publish(request.user):
            code.editorial_state = EditorialState.IN_REVIEW
            code.version += 1
            code._history_user = request.user
            code._change_reason = "Sent for review: related rows changed"
            code.save()

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_publish(request.user):
            actions.pop("publish", None)
            actions.pop("return_to_draft", None)
        if not self.has_change_permission(request):
            actions.pop("send_for_review", None)
        return actions

    def change_state(self, request, queryset, state, verb):
        changed, skipped = 0, 0
        with transaction.atomic():
            for code in queryset.select_for_update(of=("self",)):
                if code.editorial_state == state:
                    continue
                if code.is_published and not can_publish(request.user):
                    skipped += 1  # only a reviewer takes a code off the public site
                    continue
                code.editorial_state = state
                code.updated_by = request.user
                code.version += 1
                if state == EditorialState.PUBLISHED:
                    code.last_reviewed_on = timezone.localdate()
                    code.reviewed_by = request.user
                code._history_user = request.user
                code._change_reason = f"{verb} from the code list"
                code.save()
                changed += 1
        self.message_user(request, f"{verb}: {changed} code(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} published code(s) left as they are: only a reviewer can take a "
                "code off the public site.",
                messages.WARNING,
            )

    @admin.action(description="Send the selected codes for review", permissions=["change"])
    def send_for_review(self, request, queryset):
        self.change_state(request, queryset, EditorialState.IN_REVIEW, "Sent for review")

    @admin.action(description="Publish the selected codes")
    def publish(self, request, queryset):
        if not can_publish(request.user):
            raise PermissionDenied
        self.change_state(request, queryset, EditorialState.PUBLISHED, "Published")

    @admin.action(description="Unpublish: return the selected codes to draft")
    def return_to_draft(self, request, queryset):
        if not can_publish(request.user):
            raise PermissionDenied
        self.change_state(request, queryset, EditorialState.DRAFT, "Returned to draft")

    @admin.action(description="Export the selected codes as CSV (the import format)")
    def export_csv(self, request, queryset):
        return export_response(queryset)

    # Comparing any two versions ---------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_versions_view),
                name="codes_codeprocedure_compare_versions",
            ),
            *super().get_urls(),
        ]

    def compare_versions_view(self, request, object_id):
        if not object_id.isdigit():
            raise Http404("No such code.")
        code = get_object_or_404(CodeProcedure, pk=object_id)
        if not self.has_view_or_change_permission(request, code):
            raise PermissionDenied
        try:
            older_id = int(request.GET.get("from", ""))
            newer_id = int(request.GET.get("to", ""))
        except ValueError:
            raise Http404("Choose two versions to compare.") from None
        older = get_object_or_404(code.history.model, history_id=older_id, id=code.pk)
        newer = get_object_or_404(code.history.model, history_id=newer_id, id=code.pk)
        if older.history_date > newer.history_date:
            older, newer = newer, older
        delta = newer.diff_against(older)
        changes = [
            {
                "field": CodeProcedure._meta.get_field(change.field).verbose_name,
                "old": change.old,
                "new": change.new,
            }
            for change in delta.changes
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": code,
            "title": f"Compare two versions of {code.code}",
            "older": older,
            "newer": newer,
            "changes": changes,
            "history_url": reverse("admin:codes_codeprocedure_history", args=[code.pk]),
        }
        return TemplateResponse(request, "admin/codes/codeprocedure/compare_versions.html", context)

    def history_view(self, request, object_id, extra_context=None):
        if not object_id.isdigit():
            raise Http404("No such code.")
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Revert: the code's own fields and lists through the form, then its examples,
        modifier notes and relations as they stood at that version, in one transaction."""
        if not (object_id.isdigit() and str(version_id).isdigit()):
            raise Http404("No such version.")
        version = get_object_or_404(CodeProcedure.history, id=object_id, history_id=version_id)
        restorable = rows_to_restore(request.user)
        then = rows_at(version)
        extra_context = {
            **(extra_context or {}),
            "rows_then": [
                (model._meta.verbose_name_plural, len(then[model])) for model, _ in restorable
            ],
        }
        with transaction.atomic():
            response = super().history_form_view(
                request, object_id, version_id, extra_context=extra_context
            )
            if request.method == "POST" and response.status_code == 302:
                code = CodeProcedure.objects.get(pk=object_id)
                report = restore_rows(code, version, request.user)
                if report:
                    self.review_related_change(request, code)
                for what, counts in report.items():
                    self.message_user(
                        request,
                        f"{what.capitalize()} put back as they were: {counts.added} restored, "
                        f"{counts.changed} changed back, {counts.removed} removed"
                        + (
                            f", {counts.skipped} left out (a newer row holds their place, "
                            "or what they pointed at is gone)"
                            if counts.skipped
                            else ""
                        )
                        + ".",
                        messages.WARNING if counts.skipped else messages.SUCCESS,
                    )
        return response


@admin.register(Section)
class SectionAdmin(ValidatedHistoryAdmin):
    list_display = ["name", "range_start", "range_end", "parent", "name_verified", "range_verified"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Modifier)
class ModifierAdmin(ValidatedHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Specialty)
class SpecialtyAdmin(ValidatedHistoryAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Nerve)
class NerveAdmin(ValidatedHistoryAdmin):
    list_display = ["name", "cranial_nerve_number"]
    search_fields = ["name", "aliases"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(PlaceOfService)
class PlaceOfServiceAdmin(ValidatedHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Source)
class SourceAdmin(ValidatedHistoryAdmin):
    list_display = ["title", "publisher", "is_third_party", "accessed_on"]
    list_filter = ["is_third_party"]
    search_fields = ["title", "publisher", "url"]
    prepopulated_fields = {"slug": ["title"]}
