"""codes/search/snippets.py: highlighted, escaped snippets of the long text."""

import re

import pytest

from codes.models import CodeProcedure
from tests.search.helpers import page

pytestmark = pytest.mark.django_db


def test_results_show_a_highlighted_snippet(client):
    _, html = page(client, q="tongue nerve")
    assert "<mark>tongue</mark>" in html.lower() or "<mark>Tongue</mark>" in html


def test_snippet_escapes_what_an_editor_wrote(client):
    CodeProcedure.objects.filter(code="64868").update(
        summary="Tongue <script>alert(1)</script> nerve"
    )
    _, html = page(client, q="tongue nerve")
    # PostgreSQL's headline drops the tag, SQLite's snippet keeps it escaped; either way
    # the only script elements on the page are our own files.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all('src="/static/js/' in tag for tag in scripts)
