"""The code page's at-a-glance panel, its contents, its layout on a phone and a wide screen,
its print, and the search page on a phone, in a real browser. Screenshots go to pytest's
tmp_path (kept for the last few runs under the system's temporary folder), never to git."""

import re

import pytest
from playwright.sync_api import expect

from codes.views.browse import CODE_PAGE_SECTIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


@pytest.fixture
def open_page(browser):
    """Open a page at a viewport size, failing the test on any Content-Security-Policy
    violation (as conftest's `page` does); the contexts close at the end of the test."""
    contexts, violations = [], []

    def opener(url, viewport):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(url)
        return page

    yield opener
    for context in contexts:
        context.close()
    assert violations == [], violations


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_on_a_phone_the_panel_comes_first_then_the_folded_contents_then_the_text(
    site, open_page, tmp_path
):
    page = open_page(site + "/codes/64868/", PHONE)
    glance, toc, summary = box(page, "#at-a-glance"), box(page, ".toc"), box(page, "#summary")
    assert glance["y"] < toc["y"] < summary["y"]
    assert glance["x"] + glance["width"] <= PHONE["width"]
    expect(page.locator("#at-a-glance")).to_contain_text("Global period")
    expect(page.locator("#at-a-glance")).to_contain_text("CMS RVU25D")
    # The contents are folded on a phone and open on a tap.
    contents = page.locator(".toc-details")
    expect(contents.get_by_role("link", name="Coding notes")).to_be_hidden()
    contents.locator("summary").click()
    expect(contents.get_by_role("link", name="Coding notes")).to_be_visible()
    page.screenshot(path=str(tmp_path / "code-64868-phone.png"), full_page=True)
    assert (tmp_path / "code-64868-phone.png").stat().st_size > 10_000


def test_jump_links_move_to_their_section(site, open_page):
    page = open_page(site + "/codes/64866/", WIDE)
    contents = page.get_by_role("navigation", name="On this page")
    for anchor, heading in CODE_PAGE_SECTIONS:
        expect(contents.get_by_role("link", name=heading, exact=True)).to_have_attribute(
            "href", f"#{anchor}"
        )
    for anchor, heading in [("coding-notes", "Coding notes"), ("sources", "Sources")]:
        contents.get_by_role("link", name=heading, exact=True).click()
        expect(page).to_have_url(re.compile(f"#{anchor}$"))
        top = page.evaluate(f"document.getElementById('{anchor}').getBoundingClientRect().top")
        assert 0 <= top < 60, (anchor, top)
        # The contents stay in view beside the text while it scrolls.
        expect(contents.get_by_role("link", name="Summary")).to_be_in_viewport()


def test_on_a_wide_screen_the_panel_sits_beside_the_text(site, open_page, tmp_path):
    page = open_page(site + "/codes/64864/", WIDE)
    glance, summary = box(page, "#at-a-glance"), box(page, "#summary")
    assert glance["x"] >= summary["x"] + summary["width"]  # to the right of the text
    assert abs(glance["y"] - summary["y"]) < 60  # beside it, not below it
    expect(page.locator(".toc-details")).to_have_attribute("open", "")
    page.screenshot(path=str(tmp_path / "code-64864-wide.png"))
    assert (tmp_path / "code-64864-wide.png").stat().st_size > 10_000


@pytest.mark.parametrize("code", ["64864", "64866", "64868"])
def test_a_code_page_prints_on_at_most_two_a4_pages_with_its_panel_url_and_date(
    site, open_page, tmp_path, code
):
    page = open_page(f"{site}/codes/{code}/", WIDE)
    page.emulate_media(media="print")
    expect(page.locator("#at-a-glance")).to_be_visible()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".toc")).to_be_hidden()
    expect(page.locator(".print-stamp")).to_be_visible()
    expect(page.locator(".print-stamp")).to_contain_text(f"/codes/{code}/")
    pdf = page.pdf(format="A4")
    (tmp_path / f"{code}.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert 1 <= pages <= 2, f"{code} prints on {pages} A4 pages"


def test_search_results_print_across_the_page_without_filters(site, open_page):
    page = open_page(site + "/search/?q=nerve", WIDE)
    page.emulate_media(media="print")
    expect(page.locator(".facets")).to_be_hidden()
    results, main = box(page, ".results"), box(page, "main")
    assert results["width"] >= main["width"] - 2


def test_compare_prints_without_its_form(site, open_page):
    page = open_page(site + "/compare/?codes=64866,64868", WIDE)
    expect(page.locator(".compare-form")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".compare-form")).to_be_hidden()
    expect(page.locator(".compare-table")).to_be_visible()


def test_on_a_phone_search_shows_results_before_the_filters_which_open(site, open_page, tmp_path):
    page = open_page(site + "/search/?q=nerve", PHONE)
    first_result, filters = box(page, ".result"), box(page, "#filters")
    assert first_result["y"] < filters["y"]
    specialty = page.locator(".facet").filter(has_text="Specialty")
    expect(specialty).to_be_hidden()
    page.screenshot(path=str(tmp_path / "search-phone.png"))
    # The link at the top of the results leads to the filters and opens them.
    page.get_by_role("link", name="Filter results").click()
    expect(specialty).to_be_visible()
    specialty.get_by_role("link", name=re.compile("Otolaryngology")).click()
    expect(page).to_have_url(re.compile("specialty=otolaryngology"))
    expect(page.locator(".result").first).to_be_visible()


@pytest.mark.parametrize("path", ["/codes/64868/", "/search/?q=nerve"])
def test_no_serious_accessibility_violations_on_a_phone(site, open_page, axe_source, path):
    page = open_page(site + path, PHONE)
    page.evaluate(axe_source)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {[node['target'] for node in violation['nodes']][:3]}"
        for violation in result["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert serious == []
