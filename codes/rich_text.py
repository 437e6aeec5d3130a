"""Editors write long text in Markdown; pages get sanitised HTML.

Rendering is linear in the text: cmark-gfm (GitHub's C implementation of CommonMark, with
its table extension) is built to stay linear on any input, where Python-Markdown took
minutes on nested or unbalanced brackets (`"[" * 20000`) and stalled the worker. Every
Markdown field also has a length limit (`MARKDOWN_MAX_LENGTH`, the summary
`SUMMARY_MAX_LENGTH`), shown to editors in the admin and checked by the import.

Markdown lets raw HTML through, so the output always passes through nh3 (the Ammonia
sanitiser) with a short allow-list: no script, no event handler attributes, no
`javascript:` links, whatever an editor types.
"""

from functools import lru_cache

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

# Ten times the longest text in the reference content; a page section, not a book.
MARKDOWN_MAX_LENGTH = 10_000
# "One or two sentences a coder reads first."
SUMMARY_MAX_LENGTH = 1_000

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "table", "thead", "tbody",
    "tr", "th", "td", "hr", "abbr", "sub", "sup",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# Raw HTML is kept for nh3 to filter (editors use <abbr>, <sub>, <sup>); cmark's own
# filter would drop it all.
CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE


@lru_cache(maxsize=4096)
def render_markdown(text):
    """Return safe HTML for an editor's Markdown text.

    Memoised: the same text always renders the same, and rendering plus sanitising was a
    fifth of an uncached code page's time (docs/benchmarks.md).
    """
    if not text:
        return ""
    html = cmarkgfm.markdown_to_html_with_extensions(
        text, options=CMARK_OPTIONS, extensions=["table"]
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
