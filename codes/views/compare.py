"""Codes side by side, field by field, with the differences marked."""

import re

from django.shortcuts import render
from django.views.decorators.http import require_safe

from codes.models import is_cpt_code
from codes.rich_text import render_markdown
from codes.views.browse import visible_codes

MAX_COMPARED = 4
MAX_PARAMETER_LENGTH = 200
# Facts written in Markdown: compared as written, shown rendered (and sanitised).
MARKDOWN_FACTS = {"Summary", "Medical necessity", "Documentation"}


def field_rows(codes):
    """Return (label, [value per code], differs) for each compared fact."""

    def names(related):
        return ", ".join(str(item) for item in related) or "—"

    facts = [
        ("Title", lambda c: c.title),
        ("Status", lambda c: c.get_status_display()),
        ("Add-on code", lambda c: "Yes" if c.is_add_on else "No"),
        ("Global period", lambda c: c.get_global_period_display()),
        (
            "CMS inpatient-only",
            lambda c: (
                c.get_inpatient_only_display()
                + (
                    ""
                    if c.inpatient_only == "unknown" or c.inpatient_only_verified
                    else " (unverified)"
                )
            ),
        ),
        ("Section", lambda c: c.section.name),
        ("Summary", lambda c: c.summary),
        ("Nerves", lambda c: names(n.name for n in c.nerves.all())),
        (
            "Specialties",
            lambda c: (
                names(s.name for s in c.specialties.all())
                if c.specialties.all()
                else "Not yet verified"
            ),
        ),
        (
            "Places of service",
            lambda c: (
                names(p for p in c.places_of_service.all())
                if c.places_of_service.all()
                else "Not yet verified"
            ),
        ),
        ("Modifiers", lambda c: names(cm.modifier.code for cm in c.code_modifiers.all())),
        ("Medical necessity", lambda c: c.medical_necessity or "Not written yet"),
        ("Documentation", lambda c: c.documentation or "Not written yet"),
    ]
    rows = []
    for label, value_of in facts:
        values = [value_of(code) for code in codes]
        differs = len(set(values)) > 1
        if label in MARKDOWN_FACTS:
            values = [render_markdown(value) for value in values]
        rows.append((label, values, differs, label in MARKDOWN_FACTS))
    return rows


@require_safe
def compare(request):
    # "?codes=64866,64868" from a link, or one "codes" per ticked box from search results.
    raw = ",".join(request.GET.getlist("codes"))
    requested = list(
        dict.fromkeys(re.split(r"[\s,;]+", raw.upper()[:MAX_PARAMETER_LENGTH].strip()))
    )
    requested = [code for code in requested if code]
    malformed = [code for code in requested if not is_cpt_code(code)]
    wanted = [code for code in requested if code not in malformed]
    problems = []
    if malformed:
        problems.append(f"Not CPT codes: {', '.join(malformed)}.")
    if len(wanted) > MAX_COMPARED:
        problems.append(
            f"Up to {MAX_COMPARED} codes can be compared; the first {MAX_COMPARED} are shown."
        )
        wanted = wanted[:MAX_COMPARED]
    codes = list(visible_codes(request).for_detail_page().filter(code__in=wanted)) if wanted else []
    codes.sort(key=lambda code: wanted.index(code.code))
    missing = [code for code in wanted if code not in {c.code for c in codes}]
    if missing:
        problems.append(f"Not in this reference: {', '.join(missing)}.")
    if len(codes) < 2:
        problems.append("Give at least two codes, e.g. ?codes=64866,64868.")
    status = 400 if problems and len(codes) < 2 else 200
    context = {
        "codes": codes,
        "rows": field_rows(codes) if len(codes) >= 2 else [],
        "problems": problems,
        "raw": raw[:MAX_PARAMETER_LENGTH],
    }
    return render(request, "codes/compare.html", context, status=status)
