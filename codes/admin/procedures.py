"""The code admin: edit, search, review, publish, compare and revert CPT codes."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from codes import editorial
from codes.admin.forms import NORMALISED_TEXT, ChangeNoteForm
from codes.admin.reviewed import ReviewedAdmin
from codes.admin_input import ValidatedStackedInline, ValidatedTabularInline
from codes.csv_format import export_response
from codes.diffs import describe
from codes.history import revert_changes
from codes.icd10 import explain_malformed, lookup, normalise
from codes.models import (
    CODE_FORMAT_RE,
    ClinicalExample,
    CodeModifier,
    CodeProcedure,
    CodeRelation,
    SupportingDiagnosis,
)
from codes.search.matching import search_codes


class ClinicalExampleInline(ValidatedStackedInline):
    model = ClinicalExample
    extra = 0
    fields = ["position", "title", "text"]
    formfield_overrides = NORMALISED_TEXT


class CodeModifierInline(ValidatedTabularInline):
    model = CodeModifier
    extra = 0
    autocomplete_fields = ["modifier"]
    fields = ["modifier", "note"]
    formfield_overrides = NORMALISED_TEXT


class CodeRelationInline(ValidatedTabularInline):
    model = CodeRelation
    fk_name = "from_code"
    extra = 0
    autocomplete_fields = ["to_code"]
    fields = ["relation_type", "to_code", "note", "is_verified"]
    formfield_overrides = NORMALISED_TEXT


class SupportingDiagnosisForm(forms.ModelForm):
    """Takes the code as coders write it ("g51.0", "S04.51XA") and stores the canonical
    form; the model refuses a code the current release lacks. A header code is kept but
    flagged, and the admin warns (a claim needs a billable code)."""

    diagnosis_code = forms.CharField(
        label="ICD-10-CM code",
        max_length=20,
        help_text="A billable code of the current release, e.g. G51.0 or S04.51XA.",
    )

    class Meta:
        model = SupportingDiagnosis
        fields = ["group", "diagnosis_code", "note", "position"]

    def clean_diagnosis_code(self):
        typed = self.cleaned_data["diagnosis_code"]
        code = normalise(typed)
        if code is None:
            raise forms.ValidationError(explain_malformed(typed))
        facts = lookup([code]).get(code)
        self.header_warning = (
            f"{facts.code} ({facts.title}) is a header, not billable: a claim needs one of "
            "its subdivisions."
            if facts is not None and not facts.billable
            else ""
        )
        return code


class SupportingDiagnosisInline(ValidatedTabularInline):
    model = SupportingDiagnosis
    form = SupportingDiagnosisForm
    extra = 0
    fields = ["group", "diagnosis_code", "note", "position"]
    formfield_overrides = NORMALISED_TEXT
    verbose_name_plural = "supporting diagnoses (ICD-10-CM; titles come from the release)"


class CodeProcedureForm(ChangeNoteForm):
    """The code form, with the edit version it was opened at: a save that would overwrite
    someone else's newer change is refused with what changed, and so is a form posted
    without the version (a crafted request)."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CodeProcedure
        # The admin picks the fields from its fieldsets; this form only adds checks.
        fields = "__all__"

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["opened_version"].initial = (
                CodeProcedure.objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )

    def clean(self):
        cleaned = super().clean()
        self.stored = None
        if self.instance.pk:
            # Lock the row for the rest of the save, so two saves cannot both pass.
            self.stored = CodeProcedure.objects.select_for_update().get(pk=self.instance.pk)
            opened = cleaned.get("opened_version")
            if opened is None:
                raise forms.ValidationError(
                    "This form did not say which version of the code it was opened at, so "
                    "it cannot be checked against newer changes. Open the code again."
                )
            if self.stored.version != opened:
                raise forms.ValidationError(conflict_message(self.stored, opened))
        return cleaned


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
            if change.field not in editorial.BOOKKEEPING_FIELDS
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
class CodeProcedureAdmin(ReviewedAdmin):
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
    # Kept by the workflow, shown to editors: the state, who made and reviewed the code.
    record_fields = [
        "editorial_state",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "last_reviewed_on",
        "reviewed_by",
        "version",
    ]
    readonly_fields = ["preview_link", *record_fields]
    inlines = [
        ClinicalExampleInline,
        CodeModifierInline,
        CodeRelationInline,
        SupportingDiagnosisInline,
    ]
    history_list_display = ["editorial_state"]
    object_history_template = "admin/codes/codeprocedure/object_history.html"
    change_form_template = "admin/codes/codeprocedure/change_form.html"
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
                    "preview_link",
                    "opened_version",
                ],
                "description": "Write the title in our own words. A retired code is "
                "never deleted: set its status to deleted, the deletion date and the "
                "code to report instead. A change to a published code is sent to a "
                "reviewer; the public keeps seeing the published content until they "
                "approve it.",
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
        ("Record", {"classes": ["collapse"], "fields": record_fields}),
        ("Your change", {"fields": ["change_note"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)

        class FormForUser(form_class):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, user=request.user, **form_kwargs)

        return FormForUser

    @admin.display(description="Preview")
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            for row in formset.forms:
                if warning := getattr(row, "header_warning", ""):
                    messages.warning(request, warning)

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

    # State changes: through codes/editorial.py only -------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not editorial.can_publish(request.user):
            actions.pop("publish", None)
            actions.pop("return_to_draft", None)
        if not self.has_change_permission(request):
            actions.pop("send_for_review", None)
        return actions

    def report(self, request, done, verb, refused):
        if done:
            self.message_user(request, f"{verb}: {', '.join(done)}.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description="Send the selected codes for review", permissions=["change"])
    def send_for_review(self, request, queryset):
        done, refused = [], []
        for code in queryset:
            try:
                editorial.send_for_review(code, request.user)
                done.append(code.code)
            except editorial.EditorialError as error:
                refused.append(str(error))
        self.report(request, done, "Sent for review", refused)

    @admin.action(description="Publish the selected codes (shows what will be published)")
    def publish(self, request, queryset):
        """A confirmation page with what each code would put in front of the public; the
        reviewer's confirmation carries the edit versions they saw."""
        if not editorial.can_publish(request.user):
            raise PermissionDenied
        codes = list(queryset.order_by("code"))
        if request.POST.get("confirmed") == "yes":
            done, refused = [], []
            for code in codes:
                try:
                    editorial.publish(code, request.user, request.POST.get(f"seen_{code.pk}"))
                    done.append(code.code)
                except editorial.EditorialError as error:
                    refused.append(str(error))
            self.report(request, done, "Published", refused)
            return None
        entries = [(code, publish_diff(code)) for code in codes]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Publish these codes?",
            "entries": entries,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/codes/codeprocedure/publish_confirm.html", context)

    @admin.action(description="Unpublish: return the selected codes to draft")
    def return_to_draft(self, request, queryset):
        if not editorial.can_publish(request.user):
            raise PermissionDenied
        done = [editorial.unpublish(code, request.user).code for code in queryset]
        self.report(request, done, "Returned to draft", [])

    @admin.action(description="Export the selected codes as CSV (the import format)")
    def export_csv(self, request, queryset):
        return export_response(queryset)

    # Comparing any two history entries, and reverting ------------------------------------

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
        changes = {
            "fields": {
                change.field: editorial.to_json(
                    CodeProcedure._meta.get_field(change.field), change.new
                )
                for change in newer.diff_against(older).changes
                if not CodeProcedure._meta.get_field(change.field).many_to_many
            }
        }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": code,
            "title": f"Compare two versions of {code.code}",
            "older": older,
            "newer": newer,
            "diff": describe(CodeProcedure, older.instance, changes),
            "history_url": reverse("admin:codes_codeprocedure_history", args=[code.pk]),
        }
        return TemplateResponse(request, "admin/codes/codeprocedure/compare_versions.html", context)

    def history_view(self, request, object_id, extra_context=None):
        if not object_id.isdigit():
            raise Http404("No such code.")
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Revert: what it would restore, change and remove, then (confirmed, with a change
        note) a change like any edit, reviewed when the code is published."""
        if not (object_id.isdigit() and str(version_id).isdigit()):
            raise Http404("No such version.")
        code = get_object_or_404(CodeProcedure, pk=object_id)
        if not self.has_change_permission(request, code):
            raise PermissionDenied
        version = get_object_or_404(CodeProcedure.history, id=object_id, history_id=version_id)
        changes = revert_changes(code, version)
        form = RevertForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            return self.revert(request, code, changes, form.cleaned_data["change_note"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": code,
            "title": f"Revert {code.code} to its version of {version.history_date:%Y-%m-%d %H:%M}",
            "version": version,
            "diff": describe(CodeProcedure, code, changes),
            "form": form,
            "reviewed": editorial.needs_review(request.user, code),
            "history_url": reverse("admin:codes_codeprocedure_history", args=[code.pk]),
        }
        return TemplateResponse(request, "admin/codes/codeprocedure/revert_preview.html", context)

    def revert(self, request, code, changes, note):
        change_url = reverse("admin:codes_codeprocedure_change", args=[code.pk])
        if not editorial.has_changes(changes):
            self.message_user(request, "That version is what the code holds now.")
            return HttpResponseRedirect(change_url)
        try:
            if editorial.needs_review(request.user, code):
                revision = editorial.propose(
                    CodeProcedure, code, changes, request.user, note, kind="revert"
                )
                self.message_user(
                    request,
                    f"The revert was sent for review as revision {revision.pk}; the public "
                    "pages keep the published content until a reviewer approves it.",
                    messages.SUCCESS,
                )
            else:
                editorial.apply_edit(code, changes, request.user, note)
                self.message_user(request, f"{code.code} was reverted.", messages.SUCCESS)
        except editorial.EditorialError as error:
            self.message_user(request, str(error), messages.ERROR)
        return HttpResponseRedirect(change_url)


class RevertForm(forms.Form):
    change_note = forms.CharField(max_length=200, help_text="Why you revert, in a sentence.")
    confirm = forms.BooleanField(
        required=True, label="I have read what the revert restores, changes and removes."
    )


def publish_diff(code):
    """What publishing `code` puts in front of the public: its changes since it was last
    published (everything, when it never was)."""
    published = code.history.filter(editorial_state="published").order_by("-history_date")
    last = published.first()
    if last is None:
        return None
    then = editorial.field_values(last.instance)
    now = editorial.field_values(code)
    changes = {"fields": {name: value for name, value in now.items() if then.get(name) != value}}
    return describe(CodeProcedure, last.instance, changes)
