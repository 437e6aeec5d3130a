from django import template
from django.utils.safestring import mark_safe

from codes.rich_text import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """Render an editor's Markdown as sanitised HTML."""
    # Safe to mark: render_markdown's output has been through nh3's allow-list.
    return mark_safe(render_markdown(text))
