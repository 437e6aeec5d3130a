"""What a change does, for the people who must approve it: a word-level diff of every
changed field (old and new side by side, changes marked) and of every added, changed or
removed row and list entry. Used by the review queue, publish and revert."""

import difflib
import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe

from codes.editorial import CODE_ROWS, from_json, to_json

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(old, new):
    """(old HTML, new HTML): both escaped, removed words in <del>, added words in <ins>."""
    old_tokens, new_tokens = TOKEN.findall(old or ""), TOKEN.findall(new or "")
    old_html, new_html = [], []
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    for operation, a1, a2, b1, b2 in matcher.get_opcodes():
        before, after = escape("".join(old_tokens[a1:a2])), escape("".join(new_tokens[b1:b2]))
        if operation == "equal":
            old_html.append(before)
            new_html.append(after)
            continue
        if before:
            old_html.append(f"<del>{before}</del>")
        if after:
            new_html.append(f"<ins>{after}</ins>")
    return mark_safe("".join(old_html)), mark_safe("".join(new_html))


@dataclass
class FieldDiff:
    label: str
    old: str
    new: str
    old_html: str = ""
    new_html: str = ""

    def __post_init__(self):
        self.old_html, self.new_html = word_diff(self.old, self.new)


@dataclass
class RowDiff:
    kind: str  # "example", "modifier for a code", "relation"
    action: str  # "added", "changed", "removed"
    label: str
    fields: list = field(default_factory=list)


@dataclass
class ChangeDiff:
    fields: list = field(default_factory=list)
    rows: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.fields or self.rows)

    @property
    def changed_field_count(self):
        return len(self.fields)


def shown(model_field, value):
    """A stored JSON value as a reviewer reads it."""
    if value in (None, "", []):
        return "(empty)"
    if model_field.many_to_many or model_field.is_relation:
        ids = value if isinstance(value, list) else [value]
        names = {
            row.pk: str(row)
            for row in model_field.related_model._default_manager.filter(pk__in=ids)
        }
        return ", ".join(names.get(pk, f"(removed row {pk})") for pk in ids)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(from_json(model_field, value), value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def label_of(model, name):
    return str(model._meta.get_field(name).verbose_name).capitalize()


def describe(model, instance, changes):
    """The diff of a change set against the row as it is now (None for a new row)."""
    diff = ChangeDiff()
    for name, value in {**changes.get("fields", {}), **changes.get("lists", {})}.items():
        model_field = model._meta.get_field(name)
        if instance is None:
            current = [] if model_field.many_to_many else None
        elif model_field.many_to_many:
            current = sorted(getattr(instance, name).values_list("pk", flat=True))
        else:
            current = to_json(model_field, getattr(instance, model_field.attname))
        diff.fields.append(
            FieldDiff(label_of(model, name), shown(model_field, current), shown(model_field, value))
        )
    for key, rows in changes.get("rows", {}).items():
        row_model, _ = CODE_ROWS[key]
        existing = {}
        ids = [row["id"] for row in rows if row.get("id") is not None]
        if ids:
            existing = row_model._default_manager.in_bulk(ids)
        for row in rows:
            diff.rows.append(describe_row(row_model, existing.get(row.get("id")), row))
    return diff


def describe_row(model, current, row):
    kind = str(model._meta.verbose_name)
    if row.get("delete"):
        return RowDiff(kind, "removed", str(current) if current else f"row {row['id']}")
    fields = []
    for name, value in row.get("fields", {}).items():
        model_field = model._meta.get_field(name)
        old = to_json(model_field, getattr(current, model_field.attname)) if current else None
        fields.append(
            FieldDiff(label_of(model, name), shown(model_field, old), shown(model_field, value))
        )
    action = "changed" if current is not None else "added"
    return RowDiff(kind, action, str(current) if current else f"new {kind}", fields)
