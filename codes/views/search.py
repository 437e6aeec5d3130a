"""The search page and the autocomplete API."""

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from codes.filters import CodeSearchFilter, SortOrder, facet_counts, remove_all_facets
from codes.search import (
    QueryKind,
    highlighted_snippets,
    parse_query,
    search_codes,
    suggest_spelling,
)
from codes.views.browse import nearest_codes, visible_codes
from codes.views.compare import MAX_COMPARED

RESULTS_PER_PAGE = 50
AUTOCOMPLETE_DEFAULT = 7
AUTOCOMPLETE_MAX = 50


def search_url(params):
    query = params.urlencode()
    return reverse("codes:search") + (f"?{query}" if query else "")


@require_safe
def search(request):
    codes = visible_codes(request)
    filterset = CodeSearchFilter(request.GET, queryset=codes)
    if not filterset.is_valid():
        context = {
            "query_text": request.GET.get("q", "")[:200],
            "errors": filterset.form.errors,
            "clear_facets_url": search_url(remove_all_facets(request.GET)),
        }
        return render(request, "codes/search.html", context, status=400)

    cleaned = filterset.form.cleaned_data
    parsed = parse_query(cleaned.get("q") or "")
    facets_selected = any(
        value not in (None, "") and (not hasattr(value, "__len__") or len(value))
        for name, value in cleaned.items()
        if name not in {"q", "sort", "page"}
    )
    if parsed.kind == QueryKind.CODE and not facets_selected:
        exact = codes.filter(code=parsed.codes[0]).only("code").first()
        if exact is not None:
            return redirect(exact)

    results = search_codes(codes, parsed)
    matching = filterset.filter_queryset(results.matching)
    sort = cleaned.get("sort") or (
        SortOrder.RELEVANCE if parsed.kind == QueryKind.WORDS else SortOrder.CODE
    )
    if sort == SortOrder.CODE:
        # Code order needs no rank, so skip computing one for every match.
        listing = matching.order_by("code")
    else:
        listing = filterset.filter_queryset(results.queryset)

    paginator = Paginator(listing.for_list(), RESULTS_PER_PAGE)
    # Count through the unranked subquery form: the same rows, without the join that
    # ranking needs.
    paginator.count = matching.count()
    page = paginator.get_page(int(cleaned.get("page") or 1))
    snippets = highlighted_snippets([code.pk for code in page.object_list], results.word_query)
    for code in page.object_list:
        code.snippet = snippets.get(code.pk, "")

    context = {
        "parsed": parsed,
        "query_text": parsed.text,
        "results": results,
        "page": page,
        "sort": sort,
        "sort_choices": SortOrder.CHOICES,
        "facets": facet_counts(filterset, results.matching, request.GET),
        "clear_facets_url": search_url(remove_all_facets(request.GET)),
        "facets_selected": facets_selected,
    }
    if paginator.count == 0:
        context["suggestion"] = suggest_spelling(parsed)
        if parsed.kind == QueryKind.CODE:
            context["nearest"] = nearest_codes(codes, parsed.codes[0])
    if parsed.kind == QueryKind.LIST and 2 <= paginator.count <= MAX_COMPARED:
        context["compare_codes"] = ",".join(code.code for code in page.object_list)
    return render(request, "codes/search.html", context)


@require_safe
def autocomplete(request):
    """Suggest codes for a typeahead, in the shape of the NLM Clinical Tables API.

    GET /api/search?terms=tongue%20ner&maxList=7 returns
    [total, ["64868", ...], null, [["64868", "Facial nerve to hypoglossal ..."], ...]]:
    the number of matches, the codes shown, no extra data, and [code, title] per code.
    """
    terms = request.GET.get("terms", "")
    try:
        max_list = int(request.GET.get("maxList", AUTOCOMPLETE_DEFAULT))
    except ValueError:
        max_list = 0
    if not 1 <= max_list <= AUTOCOMPLETE_MAX:
        return JsonResponse(
            {"error": f"maxList must be a whole number from 1 to {AUTOCOMPLETE_MAX}."},
            status=400,
        )
    parsed = parse_query(terms)
    codes = visible_codes(request)
    if parsed.kind == QueryKind.EMPTY:
        return JsonResponse([0, [], None, []], safe=False)
    results = search_codes(codes, parsed, relax=False, complete_last_word=True).queryset
    shown = list(results.values_list("code", "title")[:max_list])
    total = results.count() if len(shown) == max_list else len(shown)
    return JsonResponse(
        [total, [code for code, _ in shown], None, [list(row) for row in shown]],
        safe=False,
    )
