"""The review queue: revisions waiting for a reviewer, each with its word-level diff, to
approve or return with a comment."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from codes import editorial
from codes.diffs import describe
from codes.models import Revision, RevisionState


class PendingFirst(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("all", "All"), *RevisionState.choices]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            selected = self.value() == value or (self.value() is None and value == "pending")
            yield {
                "selected": selected,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or RevisionState.PENDING
        return queryset if value == "all" else queryset.filter(state=value)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Return")])
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # The revision the reviewer looked at: a revision never changes once proposed, so its
    # id is what they saw.
    revision = forms.IntegerField(widget=forms.HiddenInput)


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["id", "target", "kind", "note", "author", "created_at", "state"]
    list_display_links = ["id", "target"]
    list_filter = [PendingFirst, "kind"]
    list_select_related = ["author", "code", "content_type", "reviewed_by"]
    search_fields = ["note", "code__code"]
    ordering = ["created_at"]

    @admin.display(description="Changes")
    def target(self, revision):
        return revision.target_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a revision never changes: it is approved or returned

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            raise Http404("No such revision.")
        revision = get_object_or_404(Revision.objects.for_queue(), pk=object_id)
        if not self.has_view_permission(request, revision):
            raise PermissionDenied
        form = ReviewForm(request.POST or None, initial={"revision": revision.pk})
        if request.method == "POST":
            if not editorial.can_publish(request.user):
                raise PermissionDenied
            if form.is_valid() and form.cleaned_data["revision"] == revision.pk:
                return self.decide(request, revision, form.cleaned_data)
        model = revision.content_type.model_class()
        target = None
        if revision.object_id is not None:
            target = model._default_manager.filter(pk=revision.object_id).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Revision {revision.pk}: {revision.target_label}",
            "revision": revision,
            "target": target,
            "diff": describe(model, target, revision.changes),
            "form": form,
            "can_decide": revision.is_pending and editorial.can_publish(request.user),
        }
        return TemplateResponse(request, "admin/codes/revision/review.html", context)

    def decide(self, request, revision, data):
        try:
            if data["decision"] == "approve":
                editorial.approve(revision, request.user, data["comment"])
                self.message_user(
                    request,
                    f"Revision {revision.pk} approved: {revision.target_label} now shows it.",
                    messages.SUCCESS,
                )
            else:
                editorial.reject(revision, request.user, data["comment"])
                self.message_user(
                    request, f"Revision {revision.pk} returned to its author.", messages.SUCCESS
                )
        except editorial.EditorialError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:codes_revision_change", args=[revision.pk]))
        return HttpResponseRedirect(reverse("admin:codes_revision_changelist"))
