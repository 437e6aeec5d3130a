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
