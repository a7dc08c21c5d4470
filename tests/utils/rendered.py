"""What an AppTest page puts on screen, sorted by how the browser will read it.

Streamlit reads Markdown in text elements, alerts, headings, metric labels and values,
widget labels and help, page links, expander and tab labels; ``st.html`` is HTML;
``st.text``, ``st.code``, dataframes and selectbox options are shown as plain text.
``inspect`` walks the whole element tree (main area and sidebar) and returns each
string under the reading it gets, so a test can check that none of it is live markup
and that the hostile text really is on the page (shown, not dropped).
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from tracker.escaping import FSI, PDI

_MD = MarkdownIt("commonmark", {"linkify": False}).enable(["strikethrough", "table"])
_MD.validateLink = lambda url: True  # type: ignore[method-assign]  # show every link
LIVE_MARKDOWN = {"link_open", "image", "html_inline", "html_block"}
PLAIN_TYPES = {"text", "code"}
MARKDOWN_FIELDS = {"body", "label", "help", "text", "delta"}


@dataclass
class Rendered:
    markdown: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)

    def visible(self) -> str:
        """Everything a reader sees, one string (Markdown and HTML as their text)."""
        parts = [*self.plain, *(markdown_text(m) for m in self.markdown),
                 *(html_parts(h)[1] for h in self.html)]
        return "\n".join(parts).replace(FSI, "").replace(PDI, "")


def _strings(message: Any, names: set[str]) -> list[str]:
    """String fields called one of ``names``, anywhere inside a protobuf message."""
    found: list[str] = []
    for descriptor, value in message.ListFields():
        if descriptor.message_type is not None:
            items = value if getattr(descriptor, "is_repeated", False) else [value]
            for item in items:
                found += _strings(item, names)
        elif isinstance(value, str) and descriptor.name in names:
            found.append(value)
    return found


def _walk(node: Any) -> Any:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def inspect(at: AppTest) -> Rendered:
    out = Rendered()
    for node in _walk(at._tree):
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        if kind in PLAIN_TYPES:
            out.plain += _strings(proto, {"body", "code_text"})
        elif kind == "html":
            out.html.append(proto.body)
        elif kind in ("dataframe", "arrow_data_frame"):
            frame = node.value
            out.plain += [str(c) for c in frame.columns]
            out.plain += [str(v) for v in frame.to_numpy().ravel()]
        else:
            out.markdown += _strings(proto, MARKDOWN_FIELDS)
            if kind in ("selectbox", "multiselect"):
                out.plain += [str(o) for o in node.options]
    return out


def live_markdown(source: str) -> set[str]:
    """The active constructs (links, images, raw HTML) in a Markdown string."""
    kinds: set[str] = set()
    for token in _MD.parse(source):
        kinds |= {token.type} & LIVE_MARKDOWN
        kinds |= {c.type for c in token.children or []} & LIVE_MARKDOWN
    return kinds


def markdown_text(source: str) -> str:
    return "".join(c.content for t in _MD.parse(source) for c in t.children or []
                    if c.type in ("text", "code_inline"))


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_parts(source: str) -> tuple[list[tuple[str, list[tuple[str, str | None]]]], str]:
    parser = _Html()
    parser.feed(source)
    return parser.tags, "".join(parser.text)


def live_html(source: str) -> list[str]:
    """Script, image, frame tags and ``on…`` handlers in an HTML string."""
    tags, _ = html_parts(source)
    bad = [tag for tag, _ in tags if tag in ("script", "img", "iframe", "object", "embed")]
    bad += [f"{tag} {name}" for tag, attrs in tags for name, _ in attrs
            if name.lower().startswith("on")]
    return bad
