"""Content text (policies, guides, FAQ answers) is written in Markdown and shown as HTML only
after a maintained sanitiser has kept the tags of a small safe subset (DESIGN §8; OWASP's rule:
parse, then allow-list). Both zones render with this one function: the police zone for the
editor's preview, the portal again on receipt, so the portal never trusts HTML it is sent."""

from __future__ import annotations

import html as html_module
import re

import nh3
from markdown_it import MarkdownIt

# Markdown's own syntax only: raw HTML in the source is shown as text, never passed through.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.enable("table")

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
        "a", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_TAGS = re.compile(r"<[^>]*>")


def render_markdown(text: str) -> str:
    """Safe HTML of `text`: Markdown rendered without raw HTML, then sanitised to the allowed
    tags and attributes (no script, style, event handler or javascript: URL survives)."""
    html = _MARKDOWN.render(text or "")
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_text(text: str) -> str:
    """The words of `text` without markup, for the search index and for snippets."""
    words = _TAGS.sub(" ", render_markdown(text))
    return " ".join(html_module.unescape(words).split())
