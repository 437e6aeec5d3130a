"""The editorial workflow's actions: the only code that changes editorial state or a code's
edit version. The admin, the commands and the tests call them (as opencodelists'
`actions.py`).

The rules, in one place:
- a published code stays public, unchanged, while an edit to it waits: an editor's change
  to published content (its fields, lists and rows) or to a shared vocabulary the public
  pages show is `propose`d as a `Revision`; the public keeps the published content;
- only a reviewer (the publish permission) puts content in front of the public: `approve`
  applies a revision whole, in one transaction; `publish` and `unpublish` change a code's
  state; each acts on exactly the content the reviewer saw (the edit version, or the
  revision, which never changes once proposed);
- an unpublished code (a draft, or one in review) is the editors' own: `save_edit` saves it
  at once, moving its edit version;
- every applied change is recorded in the history with its change note.
"""

import datetime
import decimal
import hashlib
import json

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from codes.models import (
    ClinicalExample,
    CodeModifier,
    CodeProcedure,
    CodeRelation,
    EditorialState,
    Modifier,
    Nerve,
    PlaceOfService,
    Revision,
    RevisionState,
    Section,
    Source,
    Specialty,
    SupportingDiagnosis,
)
from codes.models.catalogue import HistoryWithLists

PUBLISH_PERMISSION = "codes.publish_codeprocedure"

# The rows edited on a code's page: {key in a revision: (model, the field naming the code)}.
CODE_ROWS = {
    "examples": (ClinicalExample, "code"),
    "modifiers": (CodeModifier, "code"),
    "relations": (CodeRelation, "from_code"),
    "diagnoses": (SupportingDiagnosis, "code"),
}
# Shared vocabularies shown on published pages: an editor's change to one is reviewed too.
REVIEWED_VOCABULARIES = (Section, Modifier, Specialty, Nerve, PlaceOfService, Source)
# Kept by the workflow, never part of a proposed change.
BOOKKEEPING_FIELDS = frozenset(
    {
        "id",
        "version",
        "editorial_state",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "last_reviewed_on",
        "reviewed_by",
    }
)


class EditorialError(Exception):
    """An action refused, with a message to show the person who asked for it."""


class StaleRevision(EditorialError):
    """The content changed after the revision was proposed (or the page was opened)."""


def can_publish(user):
    return user.is_active and user.has_perm(PUBLISH_PERMISSION)


def permission(model, action):
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def needs_review(user, instance):
    """Whether a change by `user` to `instance` (unsaved for a new row) waits for a
    reviewer instead of being saved: a non-reviewer's change to a published code, or to a
    shared vocabulary."""
    if can_publish(user):
        return False
    if isinstance(instance, CodeProcedure):
        if not instance.pk:
            return False
        stored = CodeProcedure.objects.filter(pk=instance.pk).values_list(
            "editorial_state", flat=True
        )
        return stored.first() == EditorialState.PUBLISHED
    return isinstance(instance, REVIEWED_VOCABULARIES)


# Values as JSON ----------------------------------------------------------------------------


def to_json(field, value):
    """A field's Python value as plain JSON (a related row as its id)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if field is not None and field.many_to_many:
        return sorted(item.pk if isinstance(item, models.Model) else item for item in value)
    return value


def from_json(field, value):
    """The Python value of a field's JSON value (a related row stays its id)."""
    if value is None or field.is_relation:
        return value
    return field.to_python(value)


def field_values(instance, names=None):
    """{name: JSON value} of an instance's own (concrete, non-bookkeeping) fields."""
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in BOOKKEEPING_FIELDS or (names is not None and field.name not in names):
            continue
        values[field.name] = to_json(field, getattr(instance, field.attname))
    return values


def base_version_of(instance):
    """What a proposed change is made against: a code's edit version; for any other row,
    a digest of its fields (its content is its version)."""
    if instance is None or not instance.pk:
        return "new"
    if isinstance(instance, CodeProcedure):
        return str(instance.version)
    digest = json.dumps(field_values(instance), sort_keys=True, default=str)
    return hashlib.sha256(digest.encode()).hexdigest()[:32]


# Proposing, approving, rejecting ------------------------------------------------------------


def has_changes(changes):
    return any(changes.get(part) for part in ("fields", "lists", "rows"))


def propose(model, instance, changes, author, note, kind="edit"):
    """Store a change for review; the stored row is left as it is. `instance` is the row as
    stored (None for a new vocabulary row)."""
    action = "change" if instance is not None and instance.pk else "add"
    if not author.has_perm(permission(model, action)):
        raise PermissionDenied(f"You may not {action} {model._meta.verbose_name_plural}.")
    if not note.strip():
        raise EditorialError("Say in a sentence what you changed and why (the change note).")
    if not has_changes(changes):
        raise EditorialError("Nothing was changed, so nothing was sent for review.")
    return Revision.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_id=instance.pk if instance is not None else None,
        code=instance if isinstance(instance, CodeProcedure) else None,
        kind=kind,
        changes=changes,
        base_version=base_version_of(instance),
        note=note.strip(),
        author=author,
    )


def locked_pending(revision):
    """The revision, locked for the rest of the transaction, if it still waits."""
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.state != RevisionState.PENDING:
        raise EditorialError(
            f"Revision {revision.pk} was already {revision.get_state_display().lower()}."
        )
    return revision


@transaction.atomic
def approve(revision, reviewer, comment=""):
    """Apply a pending revision whole and record it; return the changed row."""
    if not can_publish(reviewer):
        raise PermissionDenied("Only a reviewer can approve a revision.")
    revision = locked_pending(revision)
    model = revision.content_type.model_class()
    instance = None
    if revision.object_id is not None:
        instance = model.objects.select_for_update().filter(pk=revision.object_id).first()
        if instance is None:
            raise StaleRevision("The row this revision changes no longer exists.")
    if base_version_of(instance) != revision.base_version:
        raise StaleRevision(
            f"{revision.target_label} has changed since revision {revision.pk} was proposed; "
            "applying it would overwrite the newer content. Return it to its author to make "
            "the change again on the current content."
        )
    reason = f"{revision.note} (revision {revision.pk}, approved by {reviewer_name(reviewer)})"
    if isinstance(instance, CodeProcedure):
        instance.version += 1
        instance.updated_by = revision.author
        instance.last_reviewed_on = timezone.localdate()
        instance.reviewed_by = reviewer
    instance = apply_changes(model, instance, revision.changes, revision.author, reason)
    revision.state = RevisionState.APPROVED
    revision.reviewed_by = reviewer
    revision.reviewed_at = timezone.now()
    revision.review_comment = comment.strip()
    revision.object_id = instance.pk
    revision.save()
    return instance


@transaction.atomic
def reject(revision, reviewer, comment):
    """Return a revision to its author with the reviewer's comment; nothing is applied."""
    if not can_publish(reviewer):
        raise PermissionDenied("Only a reviewer can return a revision.")
    if not comment.strip():
        raise EditorialError("Tell the author why, in a comment.")
    revision = locked_pending(revision)
    revision.state = RevisionState.REJECTED
    revision.reviewed_by = reviewer
    revision.reviewed_at = timezone.now()
    revision.review_comment = comment.strip()
    revision.save()
    return revision


def apply_changes(model, instance, changes, user, reason):
    """Write a change set to the database (inside the caller's transaction), recorded as
    one history entry of the row, with its lists as they end up."""
    if instance is None:
        instance = model()
    for name, value in changes.get("fields", {}).items():
        field = model._meta.get_field(name)
        setattr(instance, field.attname, from_json(field, value))
    try:
        instance.full_clean(exclude=["version"])
    except ValidationError as error:
        raise StaleRevision(f"The change no longer fits the content: {error}") from error
    lists = changes.get("lists", {})
    if lists:
        # Each list set would record an entry of its own: save quietly, set the lists,
        # then record the row once.
        instance.skip_history_when_saving = True
        instance.save()
        for name, ids in lists.items():
            getattr(instance, name).set(ids)
        del instance.skip_history_when_saving
    record(instance, user, reason)
    for key, rows in changes.get("rows", {}).items():
        row_model, code_field = CODE_ROWS[key]
        for row in rows:
            apply_row(row_model, code_field, instance, row, user, reason)
    return instance


def apply_row(model, code_field, code, row, user, reason):
    existing = None
    if row.get("id") is not None:
        existing = model.objects.filter(pk=row["id"], **{code_field: code}).first()
        if existing is None:
            raise StaleRevision(
                f"A {model._meta.verbose_name} this change edits has been removed since."
            )
    if row.get("delete"):
        existing._history_user = user
        existing._change_reason = reason
        existing.delete()
        return
    target = existing or model(**{code_field: code})
    for name, value in row.get("fields", {}).items():
        field = model._meta.get_field(name)
        setattr(target, field.attname, from_json(field, value))
    try:
        target.full_clean(exclude=[code_field])
        with transaction.atomic():
            record(target, user, reason)
    except (ValidationError, IntegrityError) as error:
        raise StaleRevision(
            f"A {model._meta.verbose_name} of this change no longer fits: {error}"
        ) from error


def record(instance, user, reason):
    """Save a row with who and why in its history."""
    instance._history_user = user
    instance._change_reason = reason
    instance.save()


# Saving, publishing ------------------------------------------------------------------------


def save_edit(instance, user, note, created=False):
    """Save a row directly (a new code, an unpublished code, a reviewer's own edit, a
    vocabulary row a reviewer changes), moving a code's edit version."""
    if isinstance(instance, CodeProcedure):
        if created:
            instance.created_by = user
            instance.editorial_state = EditorialState.DRAFT
            if instance._state.adding:
                # Its first history entry records its lists, empty: no need to read them.
                HistoryWithLists.no_lists_yet(instance)
        else:
            instance.version = (
                CodeProcedure.objects.filter(pk=instance.pk).values_list("version", flat=True)
            ).get() + 1
        instance.updated_by = user
    try:
        record(instance, user, note)
    finally:
        # A save that recorded no history must not leave the mark for a later one.
        instance.__dict__.pop(HistoryWithLists.KNOWN, None)
    return instance


def check_seen(code, seen_version):
    if seen_version is None or str(code.version) != str(seen_version):
        raise StaleRevision(
            f"{code.code} changed after you opened it (edit version {code.version}, you saw "
            f"{seen_version}). Look at it again before you publish."
        )


@transaction.atomic
def publish(code, reviewer, seen_version):
    """Put a code in front of the public, exactly as the reviewer saw it."""
    if not can_publish(reviewer):
        raise PermissionDenied("Only a reviewer can publish.")
    code = CodeProcedure.objects.select_for_update().get(pk=code.pk)
    check_seen(code, seen_version)
    return set_state(code, reviewer, EditorialState.PUBLISHED, "Published", reviewed=True)


@transaction.atomic
def unpublish(code, reviewer):
    """Take a code off the public site (back to draft)."""
    if not can_publish(reviewer):
        raise PermissionDenied("Only a reviewer can take a code off the public site.")
    code = CodeProcedure.objects.select_for_update().get(pk=code.pk)
    return set_state(code, reviewer, EditorialState.DRAFT, "Returned to draft")


@transaction.atomic
def send_for_review(code, user):
    """Mark an unpublished code ready for a reviewer; a published code stays published."""
    if not user.has_perm(permission(CodeProcedure, "change")):
        raise PermissionDenied("You may not change codes.")
    code = CodeProcedure.objects.select_for_update().get(pk=code.pk)
    if code.is_published:
        raise EditorialError(f"{code.code} is published: change it, and the change is reviewed.")
    return set_state(code, user, EditorialState.IN_REVIEW, "Sent for review")


def set_state(code, user, state, verb, reviewed=False):
    if code.editorial_state == state:
        return code
    code.editorial_state = state
    code.updated_by = user
    code.version += 1
    if reviewed:
        code.last_reviewed_on = timezone.localdate()
        code.reviewed_by = user
    record(code, user, verb)
    return code


def reviewer_name(user):
    return user.get_full_name() or "a reviewer"


def pending_revisions_of(instance):
    """The revisions of a row that wait for a reviewer, oldest first."""
    return (
        Revision.objects.pending()
        .filter(
            content_type=ContentType.objects.get_for_model(type(instance)), object_id=instance.pk
        )
        .select_related("author")
        .order_by("created_at")
    )


@transaction.atomic
def apply_edit(code, changes, user, note):
    """Apply a change set at once to a code no reviewer needs to see first (an unpublished
    code, or a reviewer's own change): a revert, an import."""
    if needs_review(user, code):
        raise PermissionDenied("A change to a published code waits for a reviewer.")
    code = CodeProcedure.objects.select_for_update().get(pk=code.pk)
    code.version += 1
    code.updated_by = user
    return apply_changes(CodeProcedure, code, changes, user, note)


def record_official_text(code, descriptor, reason):
    """Store an official descriptor from a licensed file (not our content, so not
    reviewed: it is the publisher's text), moving the code's edit version."""
    code.official_descriptor = descriptor
    code.version += 1
    record(code, None, reason)
    return code
