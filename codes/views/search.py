"""The search page and the autocomplete API."""

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from codes.filters import CodeSearchFilter, facet_counts, remove_all_facets, selections
from codes.models import sees_drafts
from codes.search import QueryKind, highlighted_snippets, parse_query, suggest_spelling
from codes.search.engine import SortOrder, find
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
    chosen = selections(filterset)
    facets_selected = any(chosen.values())
    if parsed.kind == QueryKind.CODE and not facets_selected:
        exact = codes.filter(code=parsed.codes[0]).only("code").first()
        if exact is not None:
            return redirect(exact)

    sort = cleaned.get("sort") or (
        SortOrder.RELEVANCE if parsed.kind == QueryKind.WORDS else SortOrder.CODE
    )
    found = find(
        parsed,
        sees_drafts=sees_drafts(request.user),
        selected=chosen,
        sort=sort,
    )
    paginator = Paginator(found.ids, RESULTS_PER_PAGE)
    page = paginator.get_page(int(cleaned.get("page") or 1))
    page.object_list = codes_in_order(codes, page.object_list)
    snippets = highlighted_snippets([code.pk for code in page.object_list], found.word_query)
    for code in page.object_list:
        code.snippet = snippets.get(code.pk, "")

    context = {
        "parsed": parsed,
        "query_text": parsed.text,
        "results": found,
        "page": page,
        "sort": sort,
        "sort_choices": SortOrder.CHOICES,
        "facets": facet_counts(filterset, chosen, found, request.GET),
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


def codes_in_order(codes, ids):
    """Load the codes with these ids for a result list, in the order given."""
    ids = [int(code_id) for code_id in ids]
    by_id = codes.filter(pk__in=ids).for_list().in_bulk()
    return [by_id[code_id] for code_id in ids if code_id in by_id]


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
    if parsed.kind == QueryKind.EMPTY:
        return JsonResponse([0, [], None, []], safe=False)
    found = find(
        parsed,
        sees_drafts=sees_drafts(request.user),
        sort=SortOrder.RELEVANCE,
        relax=False,
        complete_last_word=True,
        count_facets=False,
    )
    codes = codes_in_order(visible_codes(request), found.ids[:max_list])
    shown = [[code.code, code.title] for code in codes]
    return JsonResponse([len(found), [code for code, _ in shown], None, shown], safe=False)
