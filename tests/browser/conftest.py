"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

On a developer's machine without Chromium (or without the axe-core npm package) these
tests skip with the reason; in CI (CI=true) they fail instead, because CI installs both.
"""

import functools
import json
import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from codes.icd10 import loader
from codes.roles import ensure_roles

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Chromium here has no network beyond this machine: keep it from trying.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def missing(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (make test installs requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# The loader's reader itself: `site` stands a narrower one in for it.
READ_WHOLE_RELEASE = loader.read_release


@functools.cache
def linked_diagnosis_rows():
    """The ICD-10-CM rows the reference content links to, with their ancestors, read from
    the package once per session: a live server's database is emptied after each test, and
    the whole release (98,000 codes) takes half a minute to load again."""
    seeded = json.loads((ROOT / "fixtures" / "04_supporting_diagnoses.json").read_text())
    wanted = {entry["fields"]["diagnosis_code"] for entry in seeded}
    return [
        row
        for row in READ_WHOLE_RELEASE(loader.package_files())
        if any(code.startswith(row["code"]) for code in wanted)
    ]


@pytest.fixture
def site(live_server, monkeypatch):
    """The live server, holding the reference content (with the ICD-10-CM codes it links
    to, under the package's release) and the editorial roles."""
    call_command("load_reference_data", verbosity=0)
    monkeypatch.setattr(loader, "read_release", lambda files: linked_diagnosis_rows())
    call_command("load_icd10cm", verbosity=0)
    ensure_roles(Group, Permission)
    return live_server.url


@pytest.fixture
def page(browser):
    """A desktop-sized page that fails the test on any Content-Security-Policy violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert violations == [], violations


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        missing("axe-core is not installed (npm install, which make test runs)")
    return AXE.read_text()
