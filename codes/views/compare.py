"""Codes side by side, field by field, with the differences marked."""

import re

from django.shortcuts import render
from django.views.decorators.http import require_safe

from codes.cms import indicators
from codes.cms.facts import medicare_rows
from codes.cms.pair_check import Entry, check
from codes.cms.payment import payments
from codes.models import is_cpt_code
from codes.rich_text import render_markdown
from codes.views.browse import visible_codes

MAX_COMPARED = 4
MAX_PARAMETER_LENGTH = 200
# Facts written in Markdown: compared as written, shown rendered (and sanitised).
MARKDOWN_FACTS = {"Summary", "Medical necessity", "Documentation"}


NOT_IN_RELEASE = "Not in CMS's release"


def medicare_facts(release, cms_rows):
    """The compared facts CMS's release gives: (label, value of a code)."""
    if release is None:
        return []

    def from_row(describe):
        def value_of(code):
            row = cms_rows.get(code.code)
            return describe(row) if row else NOT_IN_RELEASE

        return value_of

    def both(first, second):
        return lambda row: f"{getattr(row, first)} / {getattr(row, second)}"

    def paid(row):
        amounts = payments(row)
        return f"${amounts['facility'].amount} / ${amounts['non_facility'].amount}" + (
            " (non-facility NA)" if row.nonfacility_na else ""
        )

    facts = [
        (f"Medicare status ({release.label})",
         from_row(lambda row: f"{row.status}: {indicators.STATUS[row.status]}")),
        ("Work RVU", from_row(lambda row: str(row.work_rvu))),
        ("PE RVU, facility / non-facility",
         from_row(both("facility_pe_rvu", "nonfacility_pe_rvu"))),
        ("Malpractice RVU", from_row(lambda row: str(row.mp_rvu))),
        ("Total RVUs, facility / non-facility",
         from_row(both("facility_total", "nonfacility_total"))),
        ("National payment, facility / non-facility", from_row(paid)),
    ]  # fmt: skip
    for field_name, name, modifiers, meanings in indicators.POLICY_INDICATORS:
        facts.append(
            (
                f"{name} ({', '.join(modifiers)})",
                from_row(
                    lambda row, f=field_name, m=meanings: f"{getattr(row, f)}: {m[getattr(row, f)]}"
                ),
            )
        )
    return facts


def field_rows(codes, release=None, cms_rows=None):
    """Return (label, [value per code], differs) for each compared fact."""
    cms_rows = cms_rows or {}

    def global_period(code):
        row = cms_rows.get(code.code)
        if row:
            return f"{row.global_days}: {indicators.GLOBAL_DAYS[row.global_days]} (CMS)"
        return code.get_global_period_display()

    def names(related):
        return ", ".join(str(item) for item in related) or "—"

    facts = [
        ("Title", lambda c: c.title),
        ("Status", lambda c: c.get_status_display()),
        ("Add-on code", lambda c: "Yes" if c.is_add_on else "No"),
        ("Global period", global_period),
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
        *medicare_facts(release, cms_rows),
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
    release, medicare = medicare_rows([c.code for c in codes]) if len(codes) >= 2 else (None, {})
    context = {
        "codes": codes,
        "result": check([Entry(c.code) for c in codes]) if len(codes) >= 2 else None,
        "rows": field_rows(codes, release, medicare) if len(codes) >= 2 else [],
        "problems": problems,
        "raw": raw[:MAX_PARAMETER_LENGTH],
    }
    return render(request, "codes/compare.html", context, status=status)
