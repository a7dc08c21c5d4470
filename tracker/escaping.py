"""User words on a screen stay words: one place that escapes them for Markdown and HTML.

Streamlit renders Markdown — links, emphasis, ``:red[…]`` and ``:material/…:``
directives, emoji shortcodes, LaTeX — in ``st.markdown``, ``st.caption``, alerts, metric
values and widget labels. Officers, importers and the URL all supply text that ends up
there, so every such place passes it through ``md`` (or, for HTML the app builds
itself, ``html_text``). Both keep the text exactly as typed on screen; only the way it
is written into the page changes. Both also isolate it for the bidirectional algorithm,
so a right-to-left override in a title cannot reverse the app's own words around it.
"""

import re
from html import escape

# Any ASCII punctuation may be backslash-escaped in CommonMark, and an escaped one is
# always literal: no link, emphasis, heading, list, HTML, entity or autolink can start.
# ``:`` and ``$`` are in the set, so Streamlit's directives, emoji and math do not
# fire either. Left alone, because no Markdown construct starts with them once the
# others are escaped: , ; ? / % ' " (so messages stay readable in logs and tests).
_PUNCTUATION = re.compile(r"""([!#$&()*+\-.:<=>@\[\\\]^_`{|}~])""")
_WHITESPACE = re.compile(r"\s+")
_OPENERS = {"\u2066", "\u2067", "\u2068"}  # LRI, RLI, FSI
FSI, PDI = "\u2068", "\u2069"


def isolate(text: str) -> str:
    """Wrap ``text`` in a first-strong isolate that its own control characters cannot leave.

    A stray PDI in the text would close our isolate early and let a following override
    leak out; one extra FSI per stray PDI, and one extra PDI per isolate the text leaves
    open, keep the wrapper balanced. The characters added are invisible.
    """
    depth = stray = 0
    for char in text:
        if char in _OPENERS:
            depth += 1
        elif char == PDI:
            if depth:
                depth -= 1
            else:
                stray += 1
    return FSI * (stray + 1) + text + PDI * (depth + 1)


def md(value: object) -> str:
    """``value`` as one line of inert Markdown that shows exactly its characters.

    Whitespace runs (new lines included) become one space, so no heading, list, quote
    or code block can start; every ASCII punctuation mark is backslash-escaped.
    """
    text = _WHITESPACE.sub(" ", "" if value is None else str(value)).strip()
    return isolate(_PUNCTUATION.sub(r"\\\1", text))


def html_text(value: object) -> str:
    """``value`` escaped as HTML element content, isolated in a ``<bdi>`` element.

    For an attribute value use ``html.escape`` alone (quotes are escaped there too).
    """
    return f"<bdi>{escape('' if value is None else str(value), quote=True)}</bdi>"

