import pytest

from codes.rich_text import render_markdown


def test_markdown_renders_paragraphs_and_lists():
    html = render_markdown("First **bold**.\n\n- one\n- two")
    assert "<strong>bold</strong>" in html and "<li>one</li>" in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<p onclick="alert(1)">x</p>',
        "<iframe src='https://example.org'></iframe>",
        "<style>body{display:none}</style>",
    ],
)
def test_no_script_reaches_the_page(hostile):
    html = render_markdown(hostile).lower()
    for bad in ["<script", "onerror", "onclick", "javascript:", "<iframe", "<style"]:
        assert bad not in html


def test_links_open_safely():
    assert 'rel="noopener noreferrer"' in render_markdown("[CMS](https://www.cms.gov/)")


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""


# Each of these took Python-Markdown from seconds to minutes (quadratic in the brackets);
# cmark-gfm renders them in milliseconds (bench/markdown_worst_case.py measures it).
PATHOLOGICAL = {
    "nested brackets": "[" * 20000 + "x" + "]" * 20000,
    "unclosed brackets": "[" * 40000,
    "unclosed images": "![" * 20000,
    "unclosed links": "[a](" * 10000,
    "half-open tags": "<a " * 13000,
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_markdown_renders_as_its_literal_text(text):
    html = render_markdown(text)
    assert html.startswith("<p>") and len(html) >= len(text) // 2


def test_loose_lists_and_tables_still_render():
    html = render_markdown("| a | b |\n| - | - |\n| 1 | 2 |\n\n1. one\n2. two")
    assert "<table>" in html and "<td>1</td>" in html and "<ol>" in html


def test_abbreviations_typed_as_html_are_kept():
    assert '<abbr title="cranial nerve">CN</abbr>' in render_markdown(
        '<abbr title="cranial nerve">CN</abbr> XII'
    )
