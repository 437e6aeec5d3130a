"""The diagnosis page: one ICD-10-CM code of the current release, where it sits in the
tabular list, its notes and 7th characters, and the procedures of our catalogue it
supports. Reads the database only (never the simple-icd-10-cm package)."""

from dataclasses import dataclass

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from codes.icd10 import explain_malformed, normalise, with_dot
from codes.models import CodeProcedure, Diagnosis, DiagnosisGroup, SupportingDiagnosis

NOTE_KINDS = (
    ("includes", "Includes"),
    ("excludes1", "Excludes1 (never coded together with this code)"),
    ("excludes2", "Excludes2 (not included here, but may be coded together)"),
    ("code_first", "Code first"),
    ("code_also", "Code also"),
    ("use_additional_code", "Use additional code"),
    ("notes", "Notes"),
)
NEAREST_COUNT = 5
CHILDREN_SHOWN = 200


@dataclass(frozen=True)
class Note:
    label: str
    lines: list
    stated_on: Diagnosis  # the code (this one or an ancestor) the tabular states it on


@dataclass(frozen=True)
class SupportingGroup:
    label: str
    links: list


def supporting_groups(procedure):
    """The diagnoses linked to a code, grouped as DiagnosisGroup orders them, each with
    its title from the current release (one query)."""
    links = SupportingDiagnosis.objects.filter(code=procedure).with_release_facts()
    by_group = {}
    for link in links.order_by("position", "diagnosis_code"):
        by_group.setdefault(link.group, []).append(link)
    return [
        SupportingGroup(label, by_group[value])
        for value, label in DiagnosisGroup.choices
        if value in by_group
    ]


def prefixes(code):
    """The codes that would be ancestors of `code`: its leading 3, 4, … characters (the
    tabular list nests codes by prefix)."""
    return [code[:length] for length in range(3, len(code))]


def seventh_character_rule(diagnosis, ancestors):
    """(the code defining the 7th characters, {character: meaning}) that apply here, or
    (None, {})."""
    for row in [diagnosis, *reversed(ancestors)]:
        if row is not None and row.seventh_characters:
            return row, row.seventh_characters
    return None, {}


def notes_of(diagnosis, ancestors):
    """The tabular's notes on this code and on its ancestors (which apply to it too),
    nearest first."""
    notes = []
    for row in [diagnosis, *reversed(ancestors)]:
        for field, label in NOTE_KINDS:
            if lines := getattr(row, field):
                notes.append(Note(label, lines, row))
    return notes


@require_safe
def diagnosis_detail(request, code):
    normalised = normalise(code)
    if normalised is None:
        return not_found(request, code, explain_malformed(code))
    canonical = with_dot(normalised)
    if code != canonical:
        return redirect(reverse("codes:diagnosis-detail", args=[canonical]), permanent=True)

    current = Diagnosis.objects.current()
    # One query for the code and its ancestors: they are its prefixes.
    rows = {
        row.code: row
        for row in current.filter(code__in=[*prefixes(normalised), normalised]).select_related(
            "release"
        )
    }
    diagnosis = rows.pop(normalised, None)
    ancestors = [rows[prefix] for prefix in prefixes(normalised) if prefix in rows]
    if diagnosis is None:
        return code_not_in_release(request, normalised, ancestors)

    children = list(
        current.filter(parent_code=normalised)
        .order_by("code")
        .only("code", "title", "billable")[:CHILDREN_SHOWN]
    )
    rule_from, seventh = seventh_character_rule(diagnosis, ancestors)
    links = (
        SupportingDiagnosis.objects.filter(
            diagnosis_code=normalised, code__in=CodeProcedure.objects.visible_to(request.user)
        )
        .select_related("code")
        .order_by("code__code")
    )
    context = {
        "diagnosis": diagnosis,
        "release": diagnosis.release,
        "ancestors": ancestors,
        "children": children,
        "more_children": len(children) == CHILDREN_SHOWN,
        "notes": notes_of(diagnosis, ancestors),
        "seventh_characters": sorted(seventh.items()),
        "seventh_from": rule_from,
        "seventh_of_this_code": seventh.get(normalised[6]) if diagnosis.is_extended else "",
        "links": links,
    }
    return render(request, "codes/diagnosis_detail.html", context)


def code_not_in_release(request, code, ancestors):
    """A code-shaped text the current release lacks: say why when we can tell (a 7th
    character the category does not allow, a code that needs one, a code a release
    deleted), and offer the nearest valid codes."""
    current = Diagnosis.objects.current()
    display = with_dot(code)
    deepest = ancestors[-1] if ancestors else None
    _, seventh = seventh_character_rule(None, ancestors)
    reason = ""
    if seventh and len(code) == 7 and code[6] not in seventh:
        allowed = ", ".join(f"{char} ({meaning})" for char, meaning in sorted(seventh.items()))
        reason = (
            f"{display}: the 7th character {code[6]} is not one this category allows. "
            f"It allows {allowed}."
        )
    elif seventh and len(code) < 7:
        reason = (
            f"{display} is incomplete: codes here need a 7th character ("
            + ", ".join(f"{char} {meaning}" for char, meaning in sorted(seventh.items()))
            + "), with the placeholder X filling any empty position before it "
            f"(e.g. {with_dot((code + 'XXX')[:6])}A)."
        )
    deleted = (
        Diagnosis.objects.filter(code=code, deleted_in__isnull=False)
        .select_related("release", "deleted_in")
        .order_by("-release__effective_from")
        .first()
    )
    if deleted is not None:
        reason = (
            f"{display} ({deleted.title}) was deleted by the {deleted.deleted_in.label} "
            f"release; it was last valid in {deleted.release.label}."
        )
    if deepest is not None:
        nearest = list(
            current.filter(code__startswith=deepest.code, billable=True)
            .order_by("code")
            .only("code", "title", "billable")[: NEAREST_COUNT * 2]
        )
    else:
        nearest = [
            *reversed(current.filter(code__lt=code).order_by("-code")[:NEAREST_COUNT]),
            *current.filter(code__gt=code).order_by("code")[:NEAREST_COUNT],
        ]
    return not_found(
        request,
        display,
        reason or f"{display} is not a code of the current ICD-10-CM release.",
        nearest=nearest,
        closest=deepest,
    )


def not_found(request, code, reason, nearest=(), closest=None):
    return render(
        request,
        "codes/diagnosis_not_found.html",
        {"code": code, "reason": reason, "nearest": nearest, "closest": closest},
        status=404,
    )
