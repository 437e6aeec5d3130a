"""Reverting a code to an earlier history entry, with everything that hangs off it.

A code's page shows its own fields, its lists (specialties, places of service, nerves,
sources) and its rows (clinical examples, modifier notes, relations to other codes); an
editor who reverts expects all of them back as they were, and nothing else lost. The lists
are recorded with each history entry of the code; the rows keep their own history, read
here as they stood at the entry's time. A revert is a change set like any edit
(`revert_changes`), shown in full before it is applied and reviewed like any edit.
"""

from datetime import timedelta

from django.utils import timezone
from simple_history.utils import get_m2m_reverse_field_name

from codes.editorial import CODE_ROWS, field_values
from codes.models import CodeProcedure


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
    for model, code_field in CODE_ROWS.values():
        if until is None:
            found = model.objects.filter(**{code_field: version.id})
        else:
            found = model.history.as_of(until - timedelta(microseconds=1)).filter(
                **{f"{code_field}_id": version.id}
            )
        rows[model] = {row.pk: row for row in found}
    return rows


def revert_changes(code, version):
    """The change set that puts `code` back as it stood with `version`: its own fields,
    its lists and its rows. It goes through `codes.editorial` like any edit, so it is
    reviewed when the code is published and shown in full before anything is applied.

    Rows added since the version are removed only when their history shows them added
    after it: a row with no history (added by bulk_create or SQL) is kept, never lost."""
    then = version.instance
    fields = {}
    for name, value in field_values(then).items():
        if name == "code":
            continue  # the code itself is never reverted
        if field_values(code, [name])[name] != value:
            fields[name] = value
    lists = {}
    for name, ids in lists_at(version).items():
        if sorted(getattr(code, name).values_list("pk", flat=True)) != sorted(ids):
            lists[name] = sorted(ids)
    until = superseded_at(version)
    wanted_rows = rows_at(version)
    rows = {}
    for key, (model, code_field) in CODE_ROWS.items():
        current = {row.pk: row for row in model.objects.filter(**{code_field: code})}
        wanted = wanted_rows[model]
        added_since = set(
            model.history.filter(
                id__in=[pk for pk in current if pk not in wanted],
                history_type="+",
                history_date__gte=until or timezone.now(),
            ).values_list("id", flat=True)
        )
        changes = [{"id": pk, "delete": True} for pk in current if pk in added_since]
        for pk, old in wanted.items():
            old_values = field_values(old)
            old_values.pop(code_field, None)
            if pk in current:
                now = field_values(current[pk])
                differing = {k: v for k, v in old_values.items() if now.get(k) != v}
                if differing:
                    changes.append({"id": pk, "fields": differing})
            else:
                changes.append({"id": None, "fields": old_values})
        if changes:
            rows[key] = changes
    return {"fields": fields, "lists": lists, "rows": rows}
