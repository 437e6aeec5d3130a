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
    narrowed = CodeProcedure.objects.published().filter(specialties__slug="otolaryngology").count()
    assert 0 < narrowed < total
    page.locator(".facet").filter(has_text="Specialty").get_by_role(
        "link", name=re.compile("Otolaryngology")
    ).click()
    expect(page.locator(".result")).to_have_count(narrowed)
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


def test_an_edit_to_a_published_code_waits_for_review_while_the_page_stays_up(site, browser):
    make_staff("eddie", "Editors")
    make_staff("rita", "Reviewers")
    hypoglossal = CodeProcedure.objects.get(code="64868")
    old_summary = hypoglossal.summary
    new_summary = old_summary + " Rewritten in the browser."

    editor = browser.new_context().new_page()
    log_in(editor, site, "eddie")
    editor.goto(f"{site}/admin/codes/codeprocedure/{hypoglossal.pk}/change/")
    editor.locator("#id_summary").fill(new_summary)
    editor.locator("#id_change_note").fill("Say what the repair restores.")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(editor.locator(".messagelist").first).to_contain_text("sent for review as revision")

    # The public still sees the published text everywhere.
    public = browser.new_context().new_page()
    public.goto(site + "/codes/64868/")
    expect(public.get_by_text("Rewritten in the browser.")).to_have_count(0)
    expect(public.locator("main")).to_contain_text(old_summary[:60])
    public.goto(site + "/search/?q=64868")
    expect(public).to_have_url(re.compile(r"/codes/64868/$"))
    public.goto(site + "/compare/?codes=64866,64868")
    expect(public.locator("main")).to_contain_text("64868")
    public.goto(site + "/api/codes/64868")
    expect(public.locator("body")).not_to_contain_text("Rewritten in the browser.")

    # The reviewer sees exactly one changed field, the new words marked, and approves.
    reviewer = browser.new_context().new_page()
    log_in(reviewer, site, "rita")
    reviewer.goto(site + "/admin/codes/revision/")
    reviewer.get_by_role("link", name="64868").first.click()
    expect(reviewer.locator("tr.changed-field")).to_have_count(1)
    expect(reviewer.locator("tr.changed-field th")).to_have_text("Summary")
    expect(reviewer.locator("tr.changed-field ins")).to_contain_text("Rewritten in the browser")
    expect(reviewer.get_by_text("Say what the repair restores.")).to_be_visible()
    reviewer.get_by_role("button", name="Approve and publish this change").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("approved")

    public.goto(site + "/codes/64868/")
    expect(public.get_by_text("Rewritten in the browser.", exact=False)).to_be_visible()
    expect(public.get_by_text(re.compile("Last reviewed: .* by Rita Reviewer"))).to_be_visible()


def test_a_revert_shows_its_preview_and_loses_nothing(site, browser):
    make_staff("rita", "Reviewers")
    hypoglossal = CodeProcedure.objects.get(code="64868")
    first_entry = hypoglossal.history.first()
    examples = set(hypoglossal.examples.values_list("title", flat=True))
    CodeProcedure.objects.filter(pk=hypoglossal.pk).update(title="A title changed later")

    reviewer = browser.new_context().new_page()
    log_in(reviewer, site, "rita")
    reviewer.goto(
        f"{site}/admin/codes/codeprocedure/{hypoglossal.pk}/history/{first_entry.history_id}/"
    )
    expect(reviewer.locator("tr.changed-field")).to_have_count(1)
    expect(reviewer.locator("tr.changed-field td.diff-old")).to_contain_text("later")
    reviewer.get_by_label("Change note").fill("Back to the reviewed title.")
    reviewer.get_by_label(re.compile("I have read what the revert")).check()
    reviewer.get_by_role("button", name="Revert").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("was reverted")
    hypoglossal.refresh_from_db()
    assert hypoglossal.title == first_entry.title
    assert set(hypoglossal.examples.values_list("title", flat=True)) == examples


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


# The elements (outside a scrolling table) that reach past the screen's right edge.
WIDER_THAN_THE_SCREEN = """() => {
  if (document.documentElement.scrollWidth <= window.innerWidth) return [];
  return [...document.querySelectorAll("body *")]
    .filter((el) => !el.closest(".table-scroll"))
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .map((el) => `${el.tagName}.${el.className}`).slice(0, 5);
}"""


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
            overflow = page.evaluate(WIDER_THAN_THE_SCREEN)
            assert not overflow, f"{name} scrolls sideways at {width}px: {overflow}"
        context.close()
