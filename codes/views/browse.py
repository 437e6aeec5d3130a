"""Public pages. Each view reads through `CodeProcedure.objects.visible_to()`, so the public
sees published content only and logged-in editors also see drafts (with a banner)."""

import json

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from codes.cache import article_generation, cached_document
from codes.cms.edit_facts import billing_edits, where_covered
from codes.cms.facts import medicare_facts, medicare_rows
from codes.editorial import pending_revisions_of
from codes.models import (
    CodeModifier,
    CodeProcedure,
    EditorialState,
    Modifier,
    Nerve,
    RelationType,
    Section,
    Specialty,
    is_cpt_code,
)
from codes.views.diagnoses import supporting_groups

# The code page's sections in order, (anchor, heading): its table of contents. Each
# anchor is a section's id in templates/codes/code_document.html (tests/test_views.py
# checks that each one is there, under its heading).
CODE_PAGE_SECTIONS = [
    ("summary", "Summary"),
    ("plain-language", "In plain words"),
    ("procedure", "The procedure"),
    ("examples", "Clinical examples"),
    ("modifiers", "Modifiers that may apply"),
    ("medical-necessity", "Medical necessity"),
    ("supporting-diagnoses", "Supporting diagnoses (ICD-10-CM)"),
    ("documentation", "Documentation"),
    ("coding-notes", "Coding notes"),
    ("medicare", "Medicare facts"),
    ("billing-edits", "Billing edits"),
    ("specialties", "Specialties"),
    ("place-of-service", "Place of service"),
    ("nerves", "Nerves"),
    ("related", "Related and neighbouring codes"),
    ("sources", "Sources"),
]

# Browse lists show this many codes a page: a whole catalogue (tens of thousands of codes,
# thousands per specialty) is never sent at once.
CODES_PER_PAGE = 100


def visible_codes(request):
    return CodeProcedure.objects.visible_to(request.user)


def page_of(request, items, per_page=CODES_PER_PAGE):
    """Return the requested page of `items` (`?page=`); past the end, the last page."""
    number = request.GET.get("page") or "1"
    if not (number.isascii() and number.isdigit() and len(number) <= 6):
        raise BadRequest("The page number must be a whole number.")
    return Paginator(items, per_page).get_page(number)


def published_count(relation="codes"):
    """Count a vocabulary row's published codes, inside one grouped query."""
    return Count(
        relation,
        filter=Q(**{f"{relation}__editorial_state": EditorialState.PUBLISHED}),
        distinct=True,
    )


@require_safe
def home(request):
    sections = Section.objects.annotate(code_count=published_count())
    context = {
        "section_tree": section_tree(sections),
        "specialties": Specialty.objects.annotate(code_count=published_count()),
        "nerves": Nerve.objects.annotate(code_count=published_count()),
        "modifiers": Modifier.objects.annotate(code_count=published_count("code_modifiers__code")),
        "recently_updated": visible_codes(request).for_list().order_by("-updated_at")[:8],
    }
    return render(request, "codes/home.html", context)


@require_safe
def code_list(request):
    codes = visible_codes(request).for_list().order_by("code")
    return render(request, "codes/code_list.html", {"page": page_of(request, codes)})


@require_safe
def code_detail(request, code):
    if not is_cpt_code(code):
        raise Http404(f"“{code}” is not a CPT code: codes are five characters.")
    # Only what the article can show of the two parameters, so junk values share one kept
    # article: a locality key is 8 characters and a bad one is quoted to 20; a modifier is
    # two letters or digits, else ignored.
    locality = request.GET.get("locality", "").strip()[:21]
    typed_modifier = modifier_typed(request.GET.get("modifier", ""))

    def build():
        return code_document(request, code, locality, typed_modifier)

    if request.user.is_staff:
        # Editors may see drafts and what waits for review: their article is their own.
        document = build()
    else:
        # Everyone else reads the same published article: rendered once per change of
        # what it shows (its code's stamp, codes/stamps.py) and variant, for anonymous
        # readers the page cache missed (a new query string) and for logged-in readers,
        # whom the page cache never serves.
        host = f"{request.scheme}://{request.get_host()}"
        document = cached_document(
            ("code", host, code, locality, typed_modifier), build, article_generation(code)
        )
    if document is None:
        return code_not_found(request, code)
    return render(request, "codes/code_detail.html", {"document": document})


def code_not_found(request, code):
    release, rows = medicare_rows([code])
    return render(
        request,
        "codes/code_not_found.html",
        {
            "code": code,
            "nearest": visible_codes(request).nearest_to(code),
            "cms_release": release,
            "cms_row": rows.get(code),
            "covered_on": where_covered(code),
        },
        status=404,
    )


def code_document(request, code, locality, typed_modifier):
    """Render a code's article (templates/codes/code_document.html) with the page's title,
    description and search-engine data, as strings; None if the reader may not see it."""
    codes = visible_codes(request)
    procedure = codes.for_detail_page().filter(code=code).first()
    if procedure is None:
        return None
    sections = Section.objects.all()
    medicare = medicare_facts(code, locality)
    edits = billing_edits(code)
    for code_modifier in procedure.code_modifiers.all():
        code_modifier.cms_policy = medicare.policy_for_modifier(code_modifier.modifier.code)
    context = {
        "procedure": procedure,
        "medicare": medicare,
        "edits": edits,
        "breadcrumbs": breadcrumbs_by_section(sections)[procedure.section_id],
        "previous_code": codes.filter(code__lt=code)
        .order_by("-code")
        .only("code", "title")
        .first(),
        "show_official_descriptor": settings.CPT_LICENSED and bool(procedure.official_descriptor),
        "next_code": codes.filter(code__gt=code).order_by("code").only("code", "title").first(),
        "asked_modifier": modifier_asked_about(procedure, typed_modifier),
        "reviewer_credit": reviewer_credit(procedure.reviewed_by),
        "supporting_groups": supporting_groups(procedure),
        # The codes that are add-ons to this one, and the primaries of this one in our own
        # records (both prefetched: no query).
        "incoming_add_ons": [
            relation
            for relation in procedure.incoming_relations.all()
            if relation.relation_type == RelationType.ADD_ON_TO
        ],
        "add_on_primaries": [
            relation
            for relation in procedure.relations.all()
            if relation.relation_type == RelationType.ADD_ON_TO
        ],
        "page_sections": CODE_PAGE_SECTIONS,
        "cpt_copyright_year": settings.CPT_COPYRIGHT_YEAR,
    }
    if request.user.is_staff:
        context["pending_revisions"] = list(pending_revisions_of(procedure))
    return {
        # Without the request: no context processor, so nothing of the reader (user,
        # permissions, CSRF token, messages) can reach an article other readers share.
        "article": render_to_string("codes/code_document.html", context),
        "title": f"{procedure.code} {procedure.title}",
        "description": f"{procedure.code}: {Truncator(procedure.summary).chars(155)}",
        "json_ld": json_ld(procedure, request),
    }


def reviewer_credit(user):
    """How a public page names who last reviewed a code: their full name or their role, by
    the site's setting; never a user name."""
    if user is None:
        return ""
    if settings.REVIEWER_SHOWN_AS == "name" and user.get_full_name():
        return user.get_full_name()
    return "a reviewer"


def modifier_typed(value):
    """The modifier a coder typed after the code in the search box ("64868-50" arrives as
    ?modifier=50), upper-cased; "" unless it has a modifier's shape."""
    typed = value.strip().upper()
    return typed if len(typed) == 2 and typed.isascii() and typed.isalnum() else ""


def modifier_asked_about(procedure, typed):
    """The modifier typed (`modifier_typed`) with this code's note on it; None unless it is
    a modifier we know."""
    if not typed:
        return None
    for code_modifier in procedure.code_modifiers.all():  # prefetched: no query
        if code_modifier.modifier.code == typed:
            return code_modifier
    modifier = Modifier.objects.filter(code=typed).first()
    return CodeModifier(code=procedure, modifier=modifier, note="") if modifier else None


def breadcrumbs_by_section(sections):
    """Map each section's id to its path from the top of the hierarchy.

    The hierarchy is a handful of rows, so one query and a walk in Python beat a join
    per level.
    """
    by_id = {section.pk: section for section in sections}
    paths = {}
    for section in by_id.values():
        path, current = [], section
        while current is not None and len(path) <= len(by_id):
            path.append(current)
            current = by_id.get(current.parent_id)
        paths[section.pk] = list(reversed(path))
    return paths


def section_tree(sections):
    """Return (section, depth) pairs in hierarchy order, for an indented list."""
    children = {}
    for section in sections:
        children.setdefault(section.parent_id, []).append(section)
    ordered = []

    def walk(parent_id, depth):
        for section in children.get(parent_id, []):
            ordered.append((section, depth))
            walk(section.pk, depth + 1)

    walk(None, 0)
    return ordered


@require_safe
def section_list(request):
    sections = Section.objects.annotate(code_count=published_count())
    return render(request, "codes/section_list.html", {"section_tree": section_tree(sections)})


@require_safe
def section_detail(request, slug):
    sections = list(Section.objects.all())
    section = next((s for s in sections if s.slug == slug), None)
    if section is None:
        raise Http404("No such section.")
    codes = (
        visible_codes(request)
        .for_list()
        .filter(code__gte=section.range_start, code__lte=section.range_end)
        .order_by("code")
    )
    context = {
        "section": section,
        "breadcrumbs": breadcrumbs_by_section(sections)[section.pk],
        "subsections": [s for s in sections if s.parent_id == section.pk],
        "page": page_of(request, codes),
    }
    return render(request, "codes/section_detail.html", context)


@require_safe
def specialty_list(request):
    specialties = Specialty.objects.annotate(code_count=published_count())
    return render(request, "codes/specialty_list.html", {"specialties": specialties})


@require_safe
def specialty_detail(request, slug):
    specialty = get_object_or_404(Specialty, slug=slug)
    codes = visible_codes(request).for_list().filter(specialties=specialty).order_by("code")
    return render(
        request,
        "codes/specialty_detail.html",
        {"specialty": specialty, "page": page_of(request, codes)},
    )


@require_safe
def nerve_list(request):
    nerves = Nerve.objects.annotate(code_count=published_count())
    return render(request, "codes/nerve_list.html", {"nerves": nerves})


@require_safe
def nerve_detail(request, slug):
    nerve = get_object_or_404(Nerve, slug=slug)
    codes = visible_codes(request).for_list().filter(nerves=nerve).order_by("code")
    return render(
        request, "codes/nerve_detail.html", {"nerve": nerve, "page": page_of(request, codes)}
    )


@require_safe
def modifier_list(request):
    modifiers = Modifier.objects.annotate(code_count=published_count("code_modifiers__code"))
    return render(request, "codes/modifier_list.html", {"modifiers": modifiers})


@require_safe
def modifier_detail(request, code):
    modifier = get_object_or_404(Modifier, code=code)
    notes = (
        CodeModifier.objects.filter(modifier=modifier, code__in=visible_codes(request))
        .select_related("code")
        .order_by("code__code")
    )
    return render(
        request,
        "codes/modifier_detail.html",
        {"modifier": modifier, "page": page_of(request, notes)},
    )


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Disallow: /compare/",
        "Disallow: /edits/",
        "Disallow: /api/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def json_ld(procedure, request):
    """schema.org data for search engines, escaped for a <script> data block."""
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalProcedure",
        "name": procedure.title,
        "description": procedure.summary,
        "url": request.build_absolute_uri(procedure.get_absolute_url()),
        "code": {
            "@type": "MedicalCode",
            "codeValue": procedure.code,
            "codingSystem": "CPT",
        },
    }
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
