"""What staff do every day, in a real browser."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from codes.models import CodeProcedure
from tests.browser.conftest import OUTPUT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE_PAGE_SECTIONS = [
    "Summary", "In plain words", "The procedure", "Clinical examples", "Modifiers that may apply",
    "Medical necessity", "Documentation", "Coding notes", "Specialties", "Place of service",
    "Nerves", "Related and neighbouring codes", "Sources",
]  # fmt: skip


def test_search_a_lay_term_and_read_the_whole_code_page(site, page):
    page.goto(site + "/")
    page.get_by_label("Code, range or words").fill("tongue nerve")
    page.get_by_label("Code, range or words").press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Results for"))).to_be_visible()
    page.get_by_role("link", name=re.compile("64868")).first.click()
    expect(page).to_have_url(re.compile(r"/codes/64868/$"))
    for heading in CODE_PAGE_SECTIONS:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text("CPT copyright").first).to_be_visible()


def test_a_facet_narrows_the_results_and_can_be_undone(site, page):
    page.goto(site + "/search/?q=nerve")
    total = page.locator(".result").count()
    page.locator(".facet").filter(has_text="Specialty").get_by_role(
        "link", name=re.compile("Otolaryngology")
    ).click()
    expect(page.locator(".result")).to_have_count(2)
    page.get_by_role("link", name="Clear all filters").click()
    expect(page.locator(".result")).to_have_count(total)


def test_typeahead_works_with_the_keyboard(site, page):
    page.goto(site + "/")
    box = page.locator("#header-q")
    box.click()
    box.press_sequentially("tongue ne", delay=30)
    options = page.get_by_role("option")
    expect(options.first).to_contain_text("64868")
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    box.press("ArrowDown")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/codes/64868/$"))


def test_compare_two_codes_picked_from_search_results(site, page):
    page.goto(site + "/search/?q=facial+nerve")
    page.get_by_label("Compare 64866").check()
    page.get_by_label("Compare 64868").check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page).to_have_url(re.compile(r"/compare/\?codes=64866&codes=64868"))
    table = page.locator(".compare-table")
    expect(table.get_by_role("link", name="64866")).to_be_visible()
    expect(table.get_by_role("link", name="64868")).to_be_visible()
    expect(table.locator("tr.differs").first).to_be_visible()


def log_in(page, site, username):
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("a-long-browser-password")
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))
    ).to_be_visible()


def make_staff(username, role):
    user = get_user_model().objects.create_user(
        username,
        password="a-long-browser-password",
        is_staff=True,
        first_name=username.title(),
        last_name=role.rstrip("s"),
    )
    user.groups.add(Group.objects.get(name=role))


def test_editor_sends_for_review_reviewer_publishes_public_sees_it(site, browser):
    make_staff("eddie", "Editors")
    make_staff("rita", "Reviewers")
    pk = CodeProcedure.objects.get(code="64864").pk

    editor = browser.new_context().new_page()
    log_in(editor, site, "eddie")
    editor.goto(f"{site}/admin/codes/codeprocedure/{pk}/change/")
    editor.locator("#id_summary").fill("A summary an editor rewrote in the browser.")
    editor.locator("#id_editorial_state").select_option("in_review")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(editor.locator(".messagelist")).to_contain_text("was changed successfully")

    reviewer = browser.new_context().new_page()
    log_in(reviewer, site, "rita")
    reviewer.goto(f"{site}/admin/codes/codeprocedure/?editorial_state__exact=in_review")
    reviewer.locator(f'input[name="_selected_action"][value="{pk}"]').check()
    reviewer.locator('select[name="action"]').select_option("publish")
    reviewer.get_by_role("button", name="Go").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("Published: 1 code")

    public = browser.new_context().new_page()
    public.goto(site + "/codes/64864/")
    expect(public.get_by_text("A summary an editor rewrote in the browser.")).to_be_visible()
    expect(public.get_by_text(re.compile("Last reviewed: .* by Rita Reviewer"))).to_be_visible()


PAGES = {
    "home": "/",
    "search": "/search/?q=facial+nerve",
    "code": "/codes/64866/",
    "compare": "/compare/?codes=64866,64868",
}


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violations(site, page, axe_source, name):
    page.goto(site + PAGES[name])
    # Evaluated through the browser's debugging protocol, which the page's CSP allows.
    page.evaluate(axe_source)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {[node['target'] for node in violation['nodes']][:3]}"
        for violation in result["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert serious == []


def test_screenshots_at_phone_and_desktop_widths(site, browser):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for name, path in PAGES.items():
            page.goto(site + path)
            target = OUTPUT / f"{name}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 10_000
            # Nothing may be wider than the screen.
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{name} scrolls sideways at {width}px"
        context.close()
