"""The search page and the autocomplete API: thin, over `codes.search.page`."""

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from codes.cms.edit_facts import where_covered
from codes.search.page import search_page, typeahead, typeahead_diagnoses
from codes.search.query import QueryKind
from codes.views.compare import MAX_COMPARED

AUTOCOMPLETE_DEFAULT = 7
AUTOCOMPLETE_MAX = 50


@require_safe
def search(request):
    result = search_page(request.GET, request.user)
    if result.redirect_to:
        return redirect(result.redirect_to)
    context = result.context
    parsed = context.get("parsed")
    if parsed and parsed.kind == QueryKind.CODE and not context["page"].object_list:
        context["covered_on"] = where_covered(parsed.codes[0])
    if parsed and parsed.kind == QueryKind.LIST:  # offer to compare a short list
        listed = context["page"].object_list
        if 2 <= len(listed) <= MAX_COMPARED:
            context["compare_codes"] = ",".join(code.code for code in listed)
    return render(request, "codes/search.html", context, status=result.status)


@require_safe
def autocomplete(request):
    """Suggest codes for a typeahead, in the shape of the NLM Clinical Tables API.

    GET /api/search?terms=tongue%20ner&maxList=7 returns
    [total, ["64868", ...], null, [["64868", "Facial nerve to hypoglossal ..."], ...]]:
    the number of matches, the codes shown, no extra data, and [code, title] per code.
    ICD-10-CM diagnoses follow the procedures ("G51.0", with the dot: a CPT code never has
    a letter first), sharing maxList.
    """
    try:
        max_list = int(request.GET.get("maxList", AUTOCOMPLETE_DEFAULT))
    except ValueError:
        max_list = 0
    if not 1 <= max_list <= AUTOCOMPLETE_MAX:
        return JsonResponse(
            {"error": f"maxList must be a whole number from 1 to {AUTOCOMPLETE_MAX}."},
            status=400,
        )
    terms = request.GET.get("terms", "")
    total, codes = typeahead(terms, request.user, max_list)
    diagnosis_total, diagnoses = typeahead_diagnoses(terms, max_list)
    # A quarter of the list (one at least, when it has room for two) is kept for
    # diagnoses when procedures would fill it; each fills what the other leaves.
    kept = min(len(diagnoses), max(max_list // 4, 1 if max_list > 1 else 0))
    codes = codes[: max_list - kept]
    diagnoses = diagnoses[: max_list - len(codes)]
    total += diagnosis_total
    shown = [[code.code, code.title] for code in codes]
    shown += [[row.display_code, row.title] for row in diagnoses]
    return JsonResponse([total, [code for code, _ in shown], None, shown], safe=False)
