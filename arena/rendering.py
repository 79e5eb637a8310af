"""Model output as sanitized HTML: markdown, highlighted code, and nothing that can run."""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, guess_lexer
from pygments.util import ClassNotFound

ALLOWED_TAGS = {
    "p", "br", "hr", "pre", "code", "span", "div", "em", "strong", "del", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "span": {"class"},
    "div": {"class"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
FORMATTER = HtmlFormatter(nowrap=True)


def _highlight(code: str, language: str, attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(language) if language else guess_lexer(code)
    except ClassNotFound:
        return ""  # markdown-it escapes the code itself
    return highlight(code, lexer, FORMATTER)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False: raw HTML in model output is shown as text, never passed through.
    return MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable("table").enable("strikethrough")


def render_markdown(text: str) -> str:
    html = _parser().render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def highlight_css() -> str:
    return FORMATTER.get_style_defs(".answer pre code")
