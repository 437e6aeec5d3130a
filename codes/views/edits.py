"""Can these codes be billed together? The pair check's page (/edits/?codes=…) and its JSON
(/api/edits?codes=…). The checking lives in codes/cms/pair_check.py."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from codes.cms.edit_facts import ADJUDICATION_WORDS
from codes.cms.pair_check import BadCodes, check, parse_codes
from codes.views.api import iso, release_json


def raw_codes(request):
    # "?codes=64885,64886" from the form, or one "codes" per code from a link.
    return ",".join(request.GET.getlist("codes"))


@require_safe
def pair_check(request):
    raw = raw_codes(request)
    context = {"raw": raw[:300], "result": None, "problem": ""}
    if not raw.strip():
        return render(request, "codes/edits.html", context)
    try:
        context["result"] = check(parse_codes(raw))
    except BadCodes as error:
        context["problem"] = str(error)
        return render(request, "codes/edits.html", context, status=400)
    return render(request, "codes/edits.html", context)


@require_safe
def pair_check_json(request):
    try:
        result = check(parse_codes(raw_codes(request)))
    except BadCodes as error:
        return JsonResponse({"error": str(error)}, status=400)

    def edit_json(pair):
        edit = pair.edit
        return {
            "column_1": edit.column_1,
            "column_2": edit.column_2,
            "modifier_indicator": edit.modifier_indicator,
            "modifier_meaning": pair.words,
            "what_to_do": pair.what_to_do,
            "rationale": edit.rationale,
            "effective_on": iso(edit.effective_on),
            "deleted_on": iso(edit.deleted_on),
        }

    def code_json(entry):
        mue = result.mues.get(entry.code)
        return {
            "code": entry.code,
            "units": entry.units,
            "in_this_reference": entry.code in result.titles,
            "mue": {
                "units": mue.units,
                "adjudication_indicator": mue.adjudication_indicator,
                "meaning": ADJUDICATION_WORDS[mue.adjudication_indicator],
            }
            if mue
            else None,
        }

    return JsonResponse(
        {
            "codes": [code_json(entry) for entry in result.entries],
            "edits": [edit_json(pair) for pair in result.edits],
            "ended_edits": [edit_json(pair) for pair in result.ended],
            "add_on_problems": [
                {
                    "add_on": p.add_on,
                    "primaries": p.primaries,
                    "type": p.edit_type,
                    "message": p.message,
                }
                for p in result.add_on_problems
            ],
            "unit_problems": [
                {"code": p.code, "units": p.units, "mue": p.mue.units, "message": p.message}
                for p in result.unit_problems
            ],
            "releases": {
                kind: release_json(release, request) for kind, release in result.releases.items()
            },
        }
    )
