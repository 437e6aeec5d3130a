from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from codes.models import CodeStatus, EditorialState, InpatientOnly
from codes.rich_text import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """Render an editor's Markdown as sanitised HTML."""
    # Safe to mark: render_markdown's output has been through nh3's allow-list.
    return mark_safe(render_markdown(text))


# (test, css class, tooltip, text): a row's badges, in the order they are shown. A badge
# states a fact plainly, so an unverified fact never gets one: the page says "not yet
# verified" where a list could only say it louder than it is known.
BADGES = [
    (lambda code: code.is_add_on, "badge-addon",
     "Reported only in addition to a primary procedure", "Add-on"),
    (lambda code: code.inpatient_only == InpatientOnly.YES and code.inpatient_only_verified,
     "badge-inpatient", "CMS inpatient-only", "Inpatient only"),
    (lambda code: code.status == CodeStatus.DELETED, "badge-deleted", "", "Deleted"),
    (lambda code: code.editorial_state != EditorialState.PUBLISHED, "badge-draft", "",
     None),
]  # fmt: skip


@register.simple_tag
def code_badges(code):
    """The badges of a code (add-on, inpatient-only, deleted, draft), as escaped HTML.

    A tag rather than an included template: a result page shows fifty rows, and an
    include per row was a tenth of the page's time.
    """
    return format_html_join(
        " ",
        '<span class="badge {}"{}>{}</span>',
        (
            (
                css_class,
                format_html(' title="{}"', tooltip) if tooltip else "",
                text or code.get_editorial_state_display(),
            )
            for applies, css_class, tooltip, text in BADGES
            if applies(code)
        ),
    )
