"""Text as editors mean it: one kind of line ending, no trailing spaces.

A browser sends a textarea's lines ending in CR LF, a spreadsheet may add trailing spaces;
stored as typed, a one-field edit would look like a change to every multi-line field. Every
text of every content model is normalised before it is saved, whatever saves it (the admin,
an import, the fixtures), and the admin's form fields normalise what they compare, so
history, compare, the conflict check and the review queue name only real changes.
"""

from django.db import models


def normalised_text(value):
    """LF line endings, no trailing whitespace on any line or at the end."""
    if not isinstance(value, str):
        return value
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def normalise_text_fields(sender, instance, raw=False, **kwargs):
    """pre_save: normalise every CharField and TextField of a content row."""
    for field in sender._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname)
            if isinstance(value, str):
                setattr(instance, field.attname, normalised_text(value))
