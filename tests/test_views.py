import re

import pytest

from codes.models import (
    CodeProcedure,
    EditorialState,
    Modifier,
    Nerve,
    Section,
    Specialty,
)

pytestmark = pytest.mark.django_db

CODE_PAGE_SECTIONS_IN_ORDER = [
    'id="summary"',
    'id="plain-language"',
    'id="procedure"',
    'id="examples"',
    'id="modifiers"',
    'id="medical-necessity"',
    'id="documentation"',
    'id="coding-notes"',
    'id="specialties"',
    'id="place-of-service"',
    'id="nerves"',
    'id="related"',
    'id="sources"',
    "Last reviewed",
    "American Medical Association",
]


def body(response):
    return response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/codes/",
        "/sections/",
        "/sections/neurorrhaphy/",
        "/specialties/",
        "/specialties/otolaryngology/",
        "/nerves/",
        "/nerves/hypoglossal-nerve/",
        "/modifiers/",
        "/modifiers/22/",
        "/codes/64868/",
        "/healthz",
    ],
)
def test_every_public_url_answers(client, url):
    assert client.get(url).status_code == 200


def test_every_fixture_code_renders_its_page(client):
    codes = list(CodeProcedure.objects.published().values_list("code", flat=True))
    assert len(codes) == 38
    for code in codes:
        response = client.get(f"/codes/{code}/")
        assert response.status_code == 200, code
        assert code in body(response)


def test_code_page_shows_every_section_in_the_agreed_order(client):
    html = body(client.get("/codes/64866/"))
    positions = [html.find(marker) for marker in CODE_PAGE_SECTIONS_IN_ORDER]
    assert -1 not in positions, dict(zip(CODE_PAGE_SECTIONS_IN_ORDER, positions, strict=True))
    assert positions == sorted(positions)


def test_code_page_shows_the_breadcrumb_of_the_hierarchy(client):
    html = body(client.get("/codes/64868/"))
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    for name in ["Surgery", "Nervous System", "Neurorrhaphy"]:
        assert name in crumbs
    assert crumbs.index("Surgery") < crumbs.index("Nervous System")


def test_code_page_links_previous_and_next_codes(client):
    html = body(client.get("/codes/64866/"))
    assert 'rel="prev" href="/codes/64865/"' in html
    assert 'rel="next" href="/codes/64868/"' in html


def test_unknown_facts_are_shown_as_not_yet_verified(client):
    html = body(client.get("/codes/64868/"))
    inpatient = html[html.index('class="inpatient-only"') :]
    assert inpatient.index("Not yet verified") < 300


def test_an_unverified_third_party_inpatient_claim_is_an_open_question(client):
    html = body(client.get("/codes/64866/"))
    inpatient = html[html.index('class="inpatient-only"') :][:1500]
    assert inpatient.index("Not yet verified") < 300
    assert "1 December 2024" in inpatient  # the claim, in the note, not as the status
    assert "<strong>Yes</strong>" not in inpatient


def test_code_page_lists_related_codes_with_their_relation(client):
    html = body(client.get("/codes/64866/"))
    related = html[html.index('id="related"') :]
    assert "Alternative to" in related and "/codes/64868/" in related


def test_primary_code_page_lists_its_add_on_codes(client):
    html = body(client.get("/codes/64831/"))
    assert "/codes/64832/" in html[html.index('id="related"') :]


def test_code_page_carries_the_ama_notice(client):
    assert "CPT copyright" in body(client.get("/codes/64864/"))


def test_lower_case_code_in_the_address_finds_the_code(client):
    assert client.get("/codes/0001f/").status_code == 404  # well-formed, not in our set
    assert client.get("/codes/64868/").status_code == 200


def test_unknown_but_well_formed_code_offers_the_nearest_codes(client):
    response = client.get("/codes/64867/")
    assert response.status_code == 404
    html = body(response)
    assert "/codes/64866/" in html and "/codes/64868/" in html


@pytest.mark.parametrize("code", ["6486", "648688", "ABCDE", "6486X", "0"])
def test_malformed_code_is_not_found(client, code):
    assert client.get(f"/codes/{code}/").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/sections/nope/", "/specialties/nope/", "/nerves/nope/", "/modifiers/ZZ/"],
)
def test_unknown_browse_pages_are_not_found(client, url):
    assert client.get(url).status_code == 404


def test_draft_code_is_hidden_from_the_public(client, draft_code):
    assert client.get(draft_code.get_absolute_url()).status_code == 404
    assert draft_code.code not in body(client.get("/codes/"))


def test_editor_sees_a_draft_with_a_banner(editor_client, draft_code):
    response = editor_client.get(draft_code.get_absolute_url())
    assert response.status_code == 200
    assert "Only editors can see this page" in body(response)


def test_deleted_code_keeps_its_page_with_a_banner(client):
    old = CodeProcedure.objects.get(code="64862")
    old.status = "deleted"
    old.replaced_by = CodeProcedure.objects.get(code="64861")
    old.save()
    html = body(client.get("/codes/64862/"))
    assert "Deleted code." in html and "/codes/64861/" in html


def test_unpublishing_a_related_code_hides_the_link(client):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.DRAFT)
    assert "/codes/64868/" not in body(client.get("/codes/64866/"))


def test_code_list_groups_codes_by_section(client):
    html = body(client.get("/codes/"))
    assert html.index("Neurorrhaphy</a>") < html.index("/codes/64831/")
    assert html.index("/codes/64876/") < html.index("Neurorrhaphy With Nerve Graft")


def test_section_page_lists_codes_in_its_range(client):
    html = body(client.get("/sections/neurorrhaphy-with-graft/"))
    assert "/codes/64885/" in html and "/codes/64864/" not in html


def test_browse_pages_list_their_codes(client):
    assert "/codes/64868/" in body(client.get("/nerves/hypoglossal-nerve/"))
    assert "/codes/64866/" in body(client.get("/specialties/neurosurgery/"))
    assert "/codes/64866/" in body(client.get("/modifiers/22/"))


def add_published_codes(count, **links):
    """Add `count` published codes 0000T, 0001T, ... in the neurorrhaphy range's section."""
    section = Section.objects.get(slug="neurorrhaphy")
    codes = CodeProcedure.objects.bulk_create(
        CodeProcedure(
            code=f"0{n:03d}T", title=f"Extra procedure {n}", section=section,
            editorial_state=EditorialState.PUBLISHED,
        )
        for n in range(count)
    )  # fmt: skip
    return CodeProcedure.objects.filter(code__in=[code.code for code in codes])


@pytest.mark.parametrize(
    "url", ["/codes/", "/specialties/neurosurgery/", "/nerves/facial-nerve/", "/modifiers/22/"]
)
def test_long_browse_lists_come_a_hundred_codes_a_page(client, url):
    extra = add_published_codes(150)
    Specialty.objects.get(slug="neurosurgery").codes.add(*extra)
    Nerve.objects.get(slug="facial-nerve").codes.add(*extra)
    for code in extra:
        code.code_modifiers.create(modifier=Modifier.objects.get(code="22"), note="May apply.")
    first = client.get(url)
    assert len(first.context["page"].object_list) == 100
    html = body(first)
    assert 'rel="next"' in html and "/codes/0000T/" in html and "/codes/0149T/" not in html
    last = client.get(url, {"page": 999})  # past the end: the last page
    assert last.context["page"].number == last.context["page"].paginator.num_pages > 1
    assert 'rel="prev"' in body(last)


@pytest.mark.parametrize("page", ["abc", "-1", "1.5", "١", "9" * 50, "0x10"])
def test_a_bad_page_number_is_a_400(client, page):
    response = client.get("/codes/", {"page": page})
    assert response.status_code == 400


def test_only_get_and_head_are_allowed(client):
    assert client.post("/codes/64868/").status_code == 405


def test_healthz_reports_the_database(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


# Query budgets. Each test adds rows so that a query per row (an N+1) would show.


@pytest.fixture
def crowded_64866(db):
    code = CodeProcedure.objects.get(code="64866")
    for slug, name in [
        ("vascular-surgery", "Vascular surgery"),
        ("general-surgery", "General surgery"),
    ]:
        code.specialties.add(Specialty.objects.create(slug=slug, name=name))
    for number in range(3):
        code.examples.create(position=10 + number, title=f"Extra {number}", text="More.")
    for modifier in Modifier.objects.exclude(code_modifiers__code=code)[:3]:
        code.code_modifiers.create(modifier=modifier, note="May apply.")
    code.nerves.add(*Nerve.objects.all()[:4])
    return code


def test_code_page_query_budget(client, crowded_64866, django_assert_num_queries):
    # 1 code with section, replacement and sources of facts; 8 prefetches (examples,
    # modifiers, specialties, places, nerves, sources, relations out, relations in);
    # 1 sections for the breadcrumb; 2 neighbours; Medicare facts: 1 release in effect,
    # 1 its row for the code, 1 the localities; billing edits: 1 the releases in effect of
    # the edit kinds, 1 the MUE row, 1 the add-on rows (as add-on or primary), 1 the PTP
    # edits in either column, 1 the titles of our codes among the partners; 1 the
    # supporting diagnoses with their titles from the ICD-10-CM release; and first, 1 the
    # article's stamps (its code's and the shared one), which keep the article from here on.
    with django_assert_num_queries(22):
        assert client.get("/codes/64866/").status_code == 200


def test_code_not_found_query_budget(client, django_assert_num_queries):
    # 1 the article's stamps, 1 lookup, 2 nearest (below, above), 2 what CMS's release says
    # (release, row), 2 where an add-on without a page is covered (the add-on list in
    # effect, our codes on it).
    with django_assert_num_queries(8):
        assert client.get("/codes/64867/").status_code == 404


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # sections, specialties, nerves, modifiers (each with a grouped count), recent.
        ("/", 5),
        # Each list of codes is a page: the count (1), then the page of codes (1).
        # codes with their sections.
        ("/codes/", 2),
        ("/sections/", 1),
        # sections; codes in range.
        ("/sections/neurorrhaphy/", 3),
        ("/specialties/", 1),
        # specialty; codes.
        ("/specialties/neurosurgery/", 3),
        ("/nerves/", 1),
        ("/nerves/facial-nerve/", 3),
        ("/modifiers/", 1),
        # modifier; its code notes with codes.
        ("/modifiers/22/", 3),
    ],
)
def test_browse_page_query_budgets(client, crowded_64866, django_assert_num_queries, url, queries):
    Specialty.objects.get(slug="neurosurgery").codes.add(
        *CodeProcedure.objects.filter(code__in=["64831", "64832", "64834"])
    )
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_section_hierarchy_is_walked_in_one_query(client, django_assert_num_queries):
    leaf = Section.objects.get(slug="neurorrhaphy")
    deeper = Section.objects.create(
        name="Deeper",
        slug="deeper",
        parent=leaf,
        range_start="64831",
        range_end="64832",
    )
    # The sections (1); the page of codes: its count (1) and its codes (1).
    with django_assert_num_queries(3):
        html = body(client.get(deeper.get_absolute_url()))
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    assert crumbs.index("Surgery") < crumbs.index("Neurorrhaphy") < crumbs.index("Deeper")


def test_script_typed_by_an_editor_never_reaches_the_page(client):
    CodeProcedure.objects.filter(code="64868").update(
        plain_language='Hi <script>alert(1)</script> <img src=x onerror="alert(2)"> '
        "[link](javascript:alert(3))"
    )
    html = body(client.get("/codes/64868/"))
    assert "alert(1)</script>" not in html and "onerror" not in html
    assert "javascript:" not in html


@pytest.mark.parametrize("path", ["/modifiers/%00/", "/modifiers/22%00/", "/modifiers/22x22/"])
def test_junk_in_a_modifier_path_is_a_404_not_a_500(client, path):
    # Found by tests/test_fuzz.py: a NUL byte reached PostgreSQL, which refuses it.
    assert client.get(path).status_code == 404


def test_modifier_page_accepts_lower_case(client):
    assert client.get("/modifiers/xs/").status_code == 200


def test_an_unverified_fact_never_gets_a_plain_badge_in_a_list(client):
    # An inpatient-only claim resting on one unchecked page: the list must say no more than
    # the page does.
    CodeProcedure.objects.filter(code="64866").update(
        inpatient_only="yes", inpatient_only_as_of="2024-12-01", inpatient_only_verified=False
    )
    html = client.get("/codes/").content.decode()
    assert "badge-inpatient" not in html
    CodeProcedure.objects.filter(code="64866").update(
        inpatient_only="yes", inpatient_only_as_of="2026-01-01", inpatient_only_verified=True
    )
    from django.core.cache import cache

    cache.clear()
    assert "badge-inpatient" in client.get("/codes/").content.decode()


def test_relations_of_one_type_are_one_line_of_links(client):
    html = body(client.get("/codes/64872/"))
    related = html[html.index('id="related"') :]
    related = related[: related.index("</ul>")]
    assert related.count("Add-on to</span>") == 1
    assert related.count('href="/codes/64') >= 2


# The at-a-glance panel and the contents, on every page of the family.

FAMILY_CODES = [
    "64831", "64832", "64834", "64835", "64836", "64837", "64840", "64856", "64857", "64858",
    "64859", "64861", "64862", "64864", "64865", "64866", "64868", "64872", "64874", "64876",
    "64885", "64886", "64890", "64891", "64892", "64893", "64895", "64896", "64897", "64898",
    "64901", "64902", "64905", "64907", "64910", "64911", "64912", "64913",
]  # fmt: skip
GLANCE_FACTS = [
    "Status", "Global period", "Add-on or primary", "Inpatient-only", "Fee schedule",
    "Work RVU, payment", "Payment policy", "Units a day (MUE)", "NCCI pairs",
]  # fmt: skip


def test_the_family_is_every_published_code():
    assert sorted(CodeProcedure.objects.published().values_list("code", flat=True)) == sorted(
        FAMILY_CODES
    )


@pytest.mark.parametrize("code", FAMILY_CODES)
def test_every_family_page_opens_with_its_panel_then_contents_then_text(client, code):
    from codes.views.browse import CODE_PAGE_SECTIONS

    html = body(client.get(f"/codes/{code}/"))
    glance_at = html.index('id="at-a-glance"')
    toc_at = html.index('<nav class="toc"')
    assert html.index("<h1") < glance_at < toc_at < html.index('id="summary"')
    glance = html[glance_at : html.index("</section>", glance_at)]
    for fact in GLANCE_FACTS:
        assert f"<dt>{fact}</dt>" in glance, (code, fact)
    # Each fact names where it comes from: a CMS release (linked) or our sources.
    assert glance.count('class="source-label"') >= len(GLANCE_FACTS) - 1
    assert 'href="/releases/RVU25D/"' in glance
    toc = html[toc_at : html.index("</nav>", toc_at)]
    for anchor, heading in CODE_PAGE_SECTIONS:
        assert f'<a href="#{anchor}">{heading}</a>' in toc, (code, anchor)
        section = re.search(rf'<section id="{anchor}"[^>]*>\s*<h2[^>]*>([^<]*)', html)
        assert section and section.group(1).startswith(heading), (code, anchor)


def test_a_fact_no_release_settles_is_not_yet_verified_in_the_panel(client):
    from codes.models import Release, ReleaseKind

    # CMS's releases only: the ICD-10-CM release (98,000 rows, loaded once per session)
    # has nothing to do with it, and deleting it row by row takes minutes on PostgreSQL.
    Release.objects.exclude(kind=ReleaseKind.ICD10CM).delete()
    html = body(client.get("/codes/64868/"))
    start = html.index('id="at-a-glance"')
    glance = re.sub(r"<[^>]+>", " ", html[start : html.index("</section>", start)])
    for fact in ["Global period", "Fee schedule", "Payment policy", "NCCI pairs"]:
        after = re.sub(r"\s+", " ", glance[glance.index(fact) :])[:80]
        assert "Not yet verified" in after, (fact, after)
    assert "CMS RVU25D" not in glance
