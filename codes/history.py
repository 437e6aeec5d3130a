"""Reverting a code to an earlier version, with everything that hangs off it.

django-simple-history's revert form puts back a code's own fields. A code's page also
shows its lists (specialties, places of service, nerves, sources) and its rows (clinical
examples, modifier notes, relations to other codes); an editor who reverts expects those
back as they were too, and nothing else lost. The lists are recorded with each version of
the code; the rows keep their own history, read here as they stood at the version's time.
Every row put back is itself a new, attributed change in its history, so a revert can be
reverted.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import get_m2m_reverse_field_name

from codes.models import ClinicalExample, CodeModifier, CodeProcedure, CodeRelation

# The rows edited inline on a code's page: (model, the field naming the code).
CODE_ROWS = [(ClinicalExample, "code"), (CodeModifier, "code"), (CodeRelation, "from_code")]


def tracked_lists():
    """The code's many-to-many fields whose contents each version records."""
    history_model = CodeProcedure.history.model
    return [
        field for field in CodeProcedure._meta.many_to_many if hasattr(history_model, field.name)
    ]


def lists_at(version):
    """Return {field name: [ids]} of the code's lists as recorded with `version`."""
    lists = {}
    for field in tracked_lists():
        target = f"{get_m2m_reverse_field_name(field)}_id"
        lists[field.name] = [getattr(row, target) for row in getattr(version, field.name).all()]
    return lists


def superseded_at(version):
    """When the code's next version was recorded (None if `version` is the latest).

    An admin save records the code first and its rows just after, so the rows that belong
    with a version are those standing just before the next version was recorded.
    """
    later = (
        CodeProcedure.history.filter(id=version.id, history_date__gt=version.history_date)
        .order_by("history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    return later


def rows_at(version):
    """Return {model: {pk: instance}} of the code's rows as they stood with `version`."""
    until = superseded_at(version)
    rows = {}
    for model, code_field in CODE_ROWS:
        if until is None:
            found = model.objects.filter(**{code_field: version.id})
        else:
            found = model.history.as_of(until - timedelta(microseconds=1)).filter(
                **{f"{code_field}_id": version.id}
            )
        rows[model] = {row.pk: row for row in found}
    return rows


def rows_to_restore(user):
    """The row models `user` may add, change and delete (a revert may need all three)."""
    allowed = []
    for model, code_field in CODE_ROWS:
        opts = model._meta
        if all(
            user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
            for action in ("add", "change", "delete")
        ):
            allowed.append((model, code_field))
    return allowed


@dataclass
class Restored:
    added: int = 0
    changed: int = 0
    removed: int = 0
    # Left out: a newer row holds its unique place (the same relation, say), or the code
    # or modifier it pointed at is gone.
    skipped: int = 0


@transaction.atomic
def restore_rows(code, version, user):
    """Make the code's rows what they were at `version`; return what changed, as
    {verbose name plural: Restored}. Only the kinds of rows `user` may edit."""
    then = rows_at(version)
    until = superseded_at(version)
    reason = f"Reverted with {code.code} to its version of {version.history_date:%Y-%m-%d %H:%M}"
    report = {}
    for model, code_field in rows_to_restore(user):
        current = {row.pk: row for row in model.objects.filter(**{code_field: code})}
        wanted = then[model]
        # Remove only rows whose history shows them added after the version: a row with
        # no history (added by bulk_create or SQL) is kept, never lost.
        added_since = set(
            model.history.filter(
                id__in=[pk for pk in current if pk not in wanted],
                history_type="+",
                history_date__gte=until or timezone.now(),
            ).values_list("id", flat=True)
        )
        removed = [row for pk, row in current.items() if pk in added_since]
        counts = Restored(removed=len(removed))
        for row in removed:
            row._change_reason = reason
            row.delete()
        for pk, old in wanted.items():
            if pk in current and same_fields(current[pk], old):
                continue
            fields = {field.attname: getattr(old, field.attname) for field in concrete(model)}
            restored = model(**fields)
            if not target_exists(restored):
                counts.skipped += 1
                continue
            restored._change_reason = reason
            try:
                with transaction.atomic():
                    restored.save(force_insert=pk not in current)
            except IntegrityError:
                counts.skipped += 1
                continue
            if pk in current:
                counts.changed += 1
            else:
                counts.added += 1
        if counts != Restored():
            report[str(model._meta.verbose_name_plural)] = counts
    return report


def concrete(model):
    return list(model._meta.concrete_fields)


def same_fields(row, other):
    return all(
        getattr(row, field.attname) == getattr(other, field.attname)
        for field in concrete(type(row))
    )


def target_exists(row):
    """Whether every row the restored row points at still exists."""
    for field in concrete(type(row)):
        target = getattr(row, field.attname)
        if field.is_relation and target is not None:
            manager = field.related_model._default_manager
            if not manager.filter(pk=target).exists():
                return False
    return True
