"""The CSV format of the annual code updates: one row per code.

The same format goes both ways: `manage.py import_codes FILE.csv` reads it and the admin's
"Export as CSV" action writes it, so an export imported again changes nothing.

| column | required | values |
| --- | --- | --- |
| code | yes | five digits, or four digits then F, T or U |
| title | yes | our own short title (never the AMA descriptor) |
| status | yes | active or deleted |
| effective_date | no | YYYY-MM-DD |
| deleted_date | no | YYYY-MM-DD, only for a deleted code |
| replaced_by | no | the code to report instead, only for a deleted code |
| section | yes | a section's slug, e.g. neurorrhaphy |
| is_add_on | yes | yes or no |
| global_period | no | 000, 010, 090, MMM, XXX, YYY, ZZZ, or empty for not yet verified |
| inpatient_only | no | yes, no or unknown (empty means unknown) |
| inpatient_only_as_of | no | YYYY-MM-DD; required when inpatient_only is yes or no |
| summary | no | one or two sentences in our own words |

A new code is created as a draft, for an editor to complete and a reviewer to publish.

A cell a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
return) is written with a single quote in front, as OWASP recommends against CSV injection,
and so is a cell that starts with a quote; the import takes that one quote off again, so an
export imported again is still a round trip.
"""

import csv
import io

from django import forms
from django.http import HttpResponse
from django.utils import timezone

from codes.models import (
    CODE_FORMAT,
    CodeStatus,
    GlobalPeriod,
    InpatientOnly,
    Section,
)
from codes.rich_text import SUMMARY_MAX_LENGTH

COLUMNS = [
    "code",
    "title",
    "status",
    "effective_date",
    "deleted_date",
    "replaced_by",
    "section",
    "is_add_on",
    "global_period",
    "inpatient_only",
    "inpatient_only_as_of",
    "summary",
]
REQUIRED_COLUMNS = {"code", "title", "status", "section", "is_add_on"}
# The model fields a row sets directly (the rest are resolved: section, replaced_by).
PLAIN_FIELDS = [
    "title",
    "status",
    "effective_date",
    "deleted_date",
    "is_add_on",
    "global_period",
    "inpatient_only",
    "inpatient_only_as_of",
    "summary",
]


class CodeRowForm(forms.Form):
    """Validate one CSV row, with messages a person can act on."""

    code = forms.RegexField(
        regex=CODE_FORMAT,
        error_messages={"invalid": "is not a CPT code (five digits, or four and F/T/U)"},
    )
    title = forms.CharField(max_length=200)
    status = forms.ChoiceField(choices=CodeStatus.choices)
    effective_date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    deleted_date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    replaced_by = forms.RegexField(regex=CODE_FORMAT, required=False)
    section = forms.SlugField()
    is_add_on = forms.ChoiceField(choices=[("yes", "yes"), ("no", "no")])
    global_period = forms.ChoiceField(choices=GlobalPeriod.choices, required=False)
    inpatient_only = forms.ChoiceField(
        choices=[("", "unknown"), *InpatientOnly.choices], required=False
    )
    inpatient_only_as_of = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    summary = forms.CharField(required=False, max_length=SUMMARY_MAX_LENGTH)

    def __init__(self, *args, sections, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = sections

    def clean_code(self):
        return self.cleaned_data["code"].upper()

    def clean_replaced_by(self):
        return self.cleaned_data["replaced_by"].upper()

    def clean_section(self):
        slug = self.cleaned_data["section"]
        if slug not in self.sections:
            raise forms.ValidationError(f"no section with the slug {slug!r}")
        return self.sections[slug]

    def clean_is_add_on(self):
        return self.cleaned_data["is_add_on"] == "yes"

    def clean_inpatient_only(self):
        return self.cleaned_data["inpatient_only"] or InpatientOnly.UNKNOWN

    def clean(self):
        data = super().clean()
        deleted = data.get("status") == CodeStatus.DELETED
        if not deleted and (data.get("deleted_date") or data.get("replaced_by")):
            raise forms.ValidationError(
                "only a deleted code may have a deleted_date or replaced_by"
            )
        effective, removed = data.get("effective_date"), data.get("deleted_date")
        if effective and removed and removed < effective:
            raise forms.ValidationError("deleted_date is before effective_date")
        if data.get("replaced_by") and data.get("replaced_by") == data.get("code"):
            raise forms.ValidationError("a code cannot be replaced by itself")
        status = data.get("inpatient_only")
        if status in {InpatientOnly.YES, InpatientOnly.NO} and not data.get("inpatient_only_as_of"):
            raise forms.ValidationError("inpatient_only_as_of is required with yes or no")
        return data


# OWASP's list (CSV injection), with the full-width forms some spreadsheets also read.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
QUOTE = "'"


def to_cell(value):
    """Return a value as a CSV cell a spreadsheet will not run: a quote before a formula
    (and before a quote, so that `from_cell` can always take exactly one off)."""
    text = str(value)
    if text.startswith((*FORMULA_STARTS, QUOTE)):
        return QUOTE + text
    return text


def from_cell(text):
    """Return what `to_cell` was given: one leading quote off before a formula or a quote."""
    if text.startswith(QUOTE) and text[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return text[1:]
    return text


def section_lookup():
    return {section.slug: section for section in Section.objects.all()}


def row_values(code):
    """Return a code as a CSV row (the inverse of CodeRowForm)."""
    return {
        "code": code.code,
        "title": code.title,
        "status": code.status,
        "effective_date": code.effective_date.isoformat() if code.effective_date else "",
        "deleted_date": code.deleted_date.isoformat() if code.deleted_date else "",
        "replaced_by": code.replaced_by.code if code.replaced_by_id else "",
        "section": code.section.slug,
        "is_add_on": "yes" if code.is_add_on else "no",
        "global_period": code.global_period,
        "inpatient_only": code.inpatient_only,
        "inpatient_only_as_of": (
            code.inpatient_only_as_of.isoformat() if code.inpatient_only_as_of else ""
        ),
        "summary": code.summary,
    }


def write_csv(codes, stream):
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for code in codes.select_related("section", "replaced_by").order_by("code"):
        writer.writerow({name: to_cell(value) for name, value in row_values(code).items()})


def export_response(codes):
    buffer = io.StringIO()
    write_csv(codes, buffer)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cpt-codes-{stamp}.csv"'
    return response
