"""Saving through the workflow: what the code and vocabulary admins share.

A save either goes straight to the database (`editorial.save_edit`) or, when the change
needs a reviewer (`editorial.needs_review`), becomes a revision (`editorial.propose`) and the
stored row is left as it is. Django's change view calls save_model, then save_related, then
log_change and response_change/response_add; each step here asks which of the two it is.
"""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from codes import editorial
from codes.admin.forms import NORMALISED_TEXT
from codes.admin_input import ValidatedHistoryAdmin


def changed_fields(form, model):
    """({field: JSON value}, {list: [ids]}) of what a bound, valid model form changes."""
    fields, lists = {}, {}
    for name in form.changed_data:
        try:
            model_field = model._meta.get_field(name)
        except Exception:
            continue
        if name in editorial.BOOKKEEPING_FIELDS:
            continue
        value = form.cleaned_data.get(name)
        if model_field.many_to_many:
            lists[name] = editorial.to_json(model_field, value or [])
        else:
            fields[name] = editorial.to_json(model_field, value)
    return fields, lists


def changed_rows(formsets):
    """{"examples" | "modifiers" | "relations": [row changes]} of valid inline formsets."""
    key_of = {model: key for key, (model, _) in editorial.CODE_ROWS.items()}
    rows = {}
    for formset in formsets:
        key = key_of.get(formset.model)
        if key is None:
            continue
        link = formset.fk.name
        entries = []
        for form in formset.forms:
            pk = form.instance.pk
            if formset.can_delete and formset._should_delete_form(form):
                if pk:
                    entries.append({"id": pk, "delete": True})
                continue
            if not form.has_changed():
                continue
            names = form.changed_data if pk else list(form.fields)
            values = {
                name: editorial.to_json(
                    formset.model._meta.get_field(name), form.cleaned_data.get(name)
                )
                for name in names
                if name not in {"id", "DELETE", link}
            }
            entries.append({"id": pk, "fields": values})
        if entries:
            rows[key] = entries
    return rows


class ReviewedAdmin(ValidatedHistoryAdmin):
    """A content admin whose saves go through codes/editorial.py."""

    formfield_overrides = NORMALISED_TEXT

    def stored_row(self, obj):
        if not obj.pk:
            return None
        return type(obj)._default_manager.filter(pk=obj.pk).first()

    def save_model(self, request, obj, form, change):
        request.revision = None
        request.revision_refused = ""
        request.defer_to_review = editorial.needs_review(request.user, obj)
        if not request.defer_to_review:
            editorial.save_edit(
                obj, request.user, form.cleaned_data["change_note"], created=not change
            )

    def save_related(self, request, form, formsets, change):
        if not request.defer_to_review:
            for formset in formsets:
                for row in formset.forms:
                    row.instance._change_reason = form.cleaned_data["change_note"]
            super().save_related(request, form, formsets, change)
            return
        model = form._meta.model
        fields, lists = changed_fields(form, model)
        if not change:  # a new vocabulary row: every field it is created with
            fields = {
                name: value
                for name, value in editorial.field_values(form.instance).items()
                if name in form.fields
            }
        changes = {"fields": fields, "lists": lists, "rows": changed_rows(formsets)}
        stored = self.stored_row(form.instance) if change else None
        try:
            with transaction.atomic():
                request.revision = editorial.propose(
                    model, stored, changes, request.user, form.cleaned_data["change_note"]
                )
        except editorial.EditorialError as error:
            request.revision_refused = str(error)

    def construct_change_message(self, request, form, formsets, add=False):
        if getattr(request, "defer_to_review", False):
            return []  # nothing was saved: the revision is the record (log_change below)
        return super().construct_change_message(request, form, formsets, add)

    def log_change(self, request, obj, message):
        if getattr(request, "defer_to_review", False):
            if request.revision is not None:
                return super().log_change(request, obj, f"Proposed revision {request.revision.pk}")
            return None
        return super().log_change(request, obj, message)

    def log_addition(self, request, obj, message):
        if getattr(request, "defer_to_review", False):
            return None
        return super().log_addition(request, obj, message)

    def deferred_response(self, request, obj):
        if request.revision is None:
            self.message_user(request, request.revision_refused, messages.WARNING)
        else:
            self.message_user(
                request,
                f"Your change was sent for review as revision {request.revision.pk}. The "
                "public pages show the published content until a reviewer approves it.",
                messages.SUCCESS,
            )
        opts = self.model._meta
        if obj.pk:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        else:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return HttpResponseRedirect(url)

    def response_change(self, request, obj):
        if getattr(request, "defer_to_review", False):
            return self.deferred_response(request, obj)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "defer_to_review", False):
            return self.deferred_response(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["pending_revisions"] = editorial.pending_revisions_of(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # simple-history's "revert" form saves a historic copy through the change form: the
    # code admin replaces it with a preview and a reviewed change; the vocabularies have no
    # revert (an editor types the old value again, which is reviewed like any edit).
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Revert is offered for codes only.")
