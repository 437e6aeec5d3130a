"""Editors write long text in Markdown; pages get sanitised HTML.

Markdown alone lets raw HTML through, so its output always passes through nh3 (the
Ammonia sanitiser) with a short allow-list: no script, no event handler attributes, no
`javascript:` links, whatever an editor types.
"""

from functools import lru_cache

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "table", "thead", "tbody",
    "tr", "th", "td", "hr", "abbr", "sub", "sup",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=4096)
def render_markdown(text):
    """Return safe HTML for an editor's Markdown text.

    Memoised: the same text always renders the same, and rendering plus sanitising was a
    fifth of an uncached code page's time (docs/benchmarks.md).
    """
    if not text:
        return ""
    html = markdown.markdown(text, extensions=["sane_lists", "tables"])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
