"""Editorial bookkeeping: what the fixture loader has seeded, and revisions waiting for
review. Only codes/editorial.py changes a revision's state."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class SeededRecord(models.Model):
    """A fixture row the loader has created once.

    The loader never creates a row twice, so a row an editor deleted on purpose stays
    deleted when set-up runs again.
    """

    model_label = models.CharField(max_length=100)
    natural_key = models.CharField(max_length=300)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model_label", "natural_key"], name="seededrecord_unique_key"
            ),
        ]

    def __str__(self):
        return f"{self.model_label} {self.natural_key}"


class RevisionState(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Returned to the author"


class RevisionQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=RevisionState.PENDING)

    def for_queue(self):
        """What the review queue lists, in one query."""
        return self.select_related("author", "code", "content_type", "reviewed_by")


class Revision(models.Model):
    """A proposed change to published content, waiting for a reviewer.

    The public keeps seeing the published row until a reviewer approves; approval applies
    the whole change in one transaction (codes/editorial.py). `changes` holds only what the
    author changed, as plain JSON: {"fields": {name: value}, "lists": {name: [ids]},
    "rows": {"examples" | "modifiers" | "relations": [{"id": id or null, "delete": bool,
    "fields": {...}}]}}. `base_version` is the code's edit version the author saw (for a
    vocabulary row, a digest of its fields): a revision made against content that has since
    changed is refused at approval, never applied over the newer content.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField(
        null=True, blank=True, help_text="Empty for a new vocabulary row."
    )
    code = models.ForeignKey(
        "codes.CodeProcedure",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="revisions",
        help_text="The code this revision changes, when it changes a code.",
    )
    kind = models.CharField(
        max_length=10, choices=[("edit", "Edit"), ("revert", "Revert")], default="edit"
    )
    changes = models.JSONField()
    base_version = models.CharField(max_length=64)
    note = models.CharField(
        "change note",
        max_length=200,
        help_text="What you changed and why, in a sentence. Reviewers read it first.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="revisions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=10, choices=RevisionState.choices, default=RevisionState.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Serves the review queue and each code's "waiting for review" banner.
            models.Index(
                fields=["state", "created_at"],
                condition=models.Q(state="pending"),
                name="revision_pending",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="pending")
                | models.Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="revision_reviewed_has_reviewer",
            ),
        ]

    def __str__(self):
        return f"Revision {self.pk} of {self.target_label}"

    @property
    def is_pending(self):
        return self.state == RevisionState.PENDING

    @property
    def target_label(self):
        if self.code_id:
            return self.code.code
        model = self.content_type.model_class()
        return f"{model._meta.verbose_name} {self.object_id or '(new)'}"
