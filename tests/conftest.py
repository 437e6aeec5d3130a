import os
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from codes.models import CodeProcedure, EditorialState, Section

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_RVU25D = ROOT / "fixtures" / "cms" / "rvu25d"
# CMS's real files, shared beside the repository (../shared/data/cms/rvu25d).
SHARED_RVU25D = ROOT.parent / "shared" / "data" / "cms" / "rvu25d"
SHIPPED_NCCI = ROOT / "fixtures" / "cms" / "ncci-2024-07"
# CMS's July 2024 NCCI tables (PTP in four gzip parts, MUE, add-on list), shared likewise.
SHARED_NCCI = ROOT.parent / "shared" / "data" / "cms" / "ncci-2024-07"


def shared_or_skip(path, what):
    """Skip without the shared file, except in CI, which must run these tests and fails."""
    if not path.is_file():
        reason = f"{what} are not at {path.parent}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the tests on CMS's real files: {reason}")
        pytest.skip(reason)


@pytest.fixture
def cms_rvu25d():
    """The folder holding CMS's full RVU25D files: skip without it, except in CI, which
    must run these tests and fails instead."""
    shared_or_skip(SHARED_RVU25D / "PPRRVU2025_Oct.csv", "CMS's RVU25D files")
    return SHARED_RVU25D


@pytest.fixture
def cms_ncci_2024_07():
    """The folder holding CMS's July 2024 NCCI tables: skip without it, fail in CI."""
    shared_or_skip(SHARED_NCCI / "AOC_V2024Q3-MCR.txt", "CMS's July 2024 NCCI tables")
    return SHARED_NCCI


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real reference content once, as `make run` does (the catalogue, the
    ICD-10-CM release the pinned package carries, then the RVU25D and NCCI July 2024
    extracts the repository ships); each test runs in a transaction over it."""
    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)
        call_command("load_icd10cm", verbosity=0)
        call_command("import_cms_pfs", str(SHIPPED_RVU25D), verbosity=0)
        call_command("import_cms_edits", str(SHIPPED_NCCI), verbosity=0)


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch):
    """Start every test with no cached pages and no in-memory facet index: a test's
    changes are rolled back, and an index of them must not outlive the test.

    The page cache's once-a-second read of the catalogue generation is held still, so
    query counts do not depend on the clock; a test that needs it read calls
    `forget_recent_generation()`."""
    from django.core.cache import cache

    from codes.cache import forget_hot_pages
    from codes.cms.facts import forget_localities
    from codes.search import generation
    from codes.search.facet_index import forget_indexes

    cache.clear()
    forget_hot_pages()
    forget_localities()
    forget_indexes()
    monkeypatch.setattr(generation, "RECENT_GENERATION_MAX_AGE", float("inf"))
    monkeypatch.setitem(generation._recent, "value", None)
    monkeypatch.setitem(generation._recent, "read_at", time.monotonic())
    yield
    cache.clear()
    forget_hot_pages()
    forget_localities()
    forget_indexes()


@pytest.fixture(autouse=True)
def catalogue_generation_moves_per_statement(request):
    """On PostgreSQL the catalogue generation moves when a transaction commits, and a test's
    transaction never does: let it move at each statement instead, as each commit would."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or "db" in request.fixturenames
    if not uses_db or (marker is not None and marker.kwargs.get("transaction")):
        return
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        return
    request.getfixturevalue("db")
    from django.db import connection

    from codes.search.schema import postgresql_generation_triggers_immediate

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(postgresql_generation_triggers_immediate())


@pytest.fixture
def draft_code(db):
    """A code an editor is still writing: never public."""
    return CodeProcedure.objects.create(
        code="64999",
        title="Unlisted draft procedure on a nerve",
        summary="Draft summary nobody outside the editors may read.",
        section=Section.objects.get(slug="extracranial-peripheral-autonomic-nerves"),
        editorial_state=EditorialState.DRAFT,
    )


@pytest.fixture
def editor_client(client, django_user_model):
    """A logged-in staff member who may view content in the admin."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(
        "editor", password="a-long-test-password", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_codeprocedure"))
    client.force_login(user)
    return client
