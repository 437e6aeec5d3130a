"""The search page and the typeahead, each in one call: what the views ask of search.

`search_page` walks a request through the package in this order: the FilterSet validates
the query string (facets.py), the text is parsed (query.py), an exact code goes straight to
its page, the engine finds, filters, counts and orders the matches (engine.py over
facet_index.py and the full-text tables of schema.py), one page of codes is loaded with
their snippets (snippets.py), the facets are laid out (facets.py), and when nothing matched
a spelling is suggested (spelling.py) or the nearest codes are offered.
"""

from dataclasses import dataclass, field, replace

from django.core.paginator import Paginator
from django.urls import reverse

from codes.models import CodeProcedure, Modifier, sees_drafts
from codes.search.diagnoses import find_diagnoses, linked_procedures
from codes.search.engine import find
from codes.search.facets import CodeSearchFilter, shown_facets, without_facets
from codes.search.query import MAX_QUERY_LENGTH, QueryKind, SortOrder, parse_query
from codes.search.snippets import highlighted_snippets
from codes.search.spelling import suggest_spelling

RESULTS_PER_PAGE = 50


@dataclass
class SearchPage:
    """What the search page shows: a page to redirect to, or a context to render."""

    redirect_to: str = ""
    status: int = 200
    context: dict = field(default_factory=dict)


def search_page(params, user):
    """Search for a request's query string (a QueryDict) as `user` may see the catalogue."""
    filterset = CodeSearchFilter(params, queryset=CodeProcedure.objects.none())
    if not filterset.is_valid():
        return SearchPage(
            status=400,
            context={
                "query_text": params.get("q", "")[:MAX_QUERY_LENGTH],
                "errors": filterset.form.errors,
                "clear_facets_url": search_url(without_facets(params)),
            },
        )
    codes = CodeProcedure.objects.visible_to(user)
    cleaned = filterset.form.cleaned_data
    parsed = parse_query(cleaned.get("q") or "")
    chosen = filterset.selections()
    facets_selected = any(chosen.values())
    if parsed.kind == QueryKind.CODE and not facets_selected:
        exact = codes.filter(code=parsed.codes[0]).only("code").first()
        if exact is not None:
            return SearchPage(redirect_to=code_page_url(exact, parsed.modifier))

    sort = cleaned.get("sort") or (
        SortOrder.RELEVANCE if parsed.kind == QueryKind.WORDS else SortOrder.CODE
    )
    wants_diagnoses = (
        parsed.kind == QueryKind.WORDS
        and not facets_selected
        and str(cleaned.get("page") or 1) == "1"
    )
    diagnoses = find_diagnoses(parsed.text) if wants_diagnoses else None
    searched = parsed
    if diagnoses and diagnoses.by_code:
        # "G51.0" named diagnoses; its pieces ("g51", "0") would only find noise among
        # procedures. The diagnoses' own procedures are listed with them.
        searched = replace(parsed, words=(), phrases=())
    found = find(searched, sees_drafts=sees_drafts(user), selected=chosen, sort=sort)
    paginator = Paginator(found.code_ids, RESULTS_PER_PAGE)
    page = paginator.get_page(int(cleaned.get("page") or 1))
    page.object_list = codes.in_order_of(page.object_list)
    snippets = highlighted_snippets([code.pk for code in page.object_list], found.word_query)
    for code in page.object_list:
        code.snippet = snippets.get(code.pk, "")

    context = {
        "parsed": parsed,
        "QueryKind": QueryKind,
        "query_text": parsed.text,
        "results": found,
        "page": page,
        "sort": sort,
        "sort_choices": SortOrder.choices,
        "facets": shown_facets(chosen, found, params),
        "clear_facets_url": search_url(without_facets(params)),
        "facets_selected": facets_selected,
    }
    if diagnoses is not None:
        links = linked_procedures(diagnoses.rows, codes) if diagnoses else {}
        for row in diagnoses.rows:
            row.procedures = links.get(row.code, [])
        context["diagnoses"] = diagnoses
    if paginator.count == 0 and not context.get("diagnoses"):
        context["suggestion"] = suggest_spelling(parsed, sees_drafts=sees_drafts(user))
        if parsed.kind == QueryKind.CODE:
            context["nearest"] = codes.nearest_to(parsed.codes[0])
    return SearchPage(context=context)


def search_url(params):
    query = params.urlencode()
    return reverse("codes:search") + (f"?{query}" if query else "")


def code_page_url(procedure, modifier=""):
    """A code's page; with the modifier a coder typed after the code, if we know it."""
    url = procedure.get_absolute_url()
    if modifier and Modifier.objects.filter(code=modifier).exists():
        url += f"?modifier={modifier}"
    return url


def typeahead_diagnoses(terms, limit):
    """Return (how many diagnoses match, the first `limit`) for a typeahead: a code or
    prefix ("S04.5"), or words with the last one completed."""
    found = find_diagnoses(terms, shown=limit, complete_last_word=True)
    return found.total, found.rows


def typeahead(terms, user, limit):
    """Return (how many codes match, the first `limit` of them) for a typeahead: ranked as
    the page ranks, the last word completed as a prefix, no facets."""
    parsed = parse_query(terms)
    if parsed.kind == QueryKind.EMPTY:
        return 0, []
    found = find(
        parsed,
        sees_drafts=sees_drafts(user),
        sort=SortOrder.RELEVANCE,
        relax=False,
        complete_last_word=True,
        count_facets=False,
    )
    codes = CodeProcedure.objects.visible_to(user).in_order_of(found.code_ids[:limit])
    return len(found), codes
