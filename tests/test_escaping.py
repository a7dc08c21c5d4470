"""The one escape helper: user text through ``md`` / ``html_text`` shows exactly its
characters and nothing else — no link, image, emphasis, HTML, directive or math.

Streamlit's renderer is JavaScript (react-markdown); markdown-it-py is an independent
CommonMark parser with the GFM extensions switched on, so these tests check the
escaping against the specification, not against our own idea of it.
"""

import string
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from tests.utils.hostile import HOSTILE, collapsed
from tracker.escaping import FSI, PDI, html_text, isolate, md

PARSER = MarkdownIt("commonmark", {"linkify": False}).enable(["strikethrough", "table"])
# markdown-it drops javascript: links itself; accept every URL so a missed escape shows.
PARSER.validateLink = lambda url: True  # type: ignore[method-assign]
PLAIN = {"text", "softbreak"}


def inline_tokens(source: str) -> list:  # type: ignore[type-arg]
    blocks = PARSER.parse(source)
    assert [t.type for t in blocks] in ([], ["paragraph_open", "inline", "paragraph_close"])
    return blocks[1].children if blocks else []


def shown(source: str) -> str:
    """The characters a reader sees, bidi isolates aside."""
    text = "".join(t.content for t in inline_tokens(source))
    return text.replace(FSI, "").replace(PDI, "")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_text_is_plain_markdown(name: str) -> None:
    source = md(HOSTILE[name])
    assert {t.type for t in inline_tokens(source)} <= PLAIN
    assert shown(source) == collapsed(HOSTILE[name])


@pytest.mark.parametrize("text", [
    "# heading", "- list", "1. list", "> quote", "    code", "`code`", "**bold**", "_em_",
    "~~gone~~", "| a | b |\n|---|---|\n| 1 | 2 |", "&amp; &#60;", "<b>x</b>",
    "![i](http://x/i.png)", "[ref]\n\n[ref]: http://x", "line\n\nnew paragraph",
])
def test_markdown_syntax_stays_text(text: str) -> None:
    source = md(text)
    assert {t.type for t in inline_tokens(source)} <= PLAIN
    assert shown(source) == collapsed(text)


@pytest.mark.parametrize("text", [":red[alert]", ":material/warning:", ":smile:", "$x^2$",
                                  "$$x$$", ":streamlit:"])
def test_streamlit_directives_are_escaped(text: str) -> None:
    """Streamlit fires on an unescaped ``:`` or ``$``; ``md`` escapes every one."""
    source = md(text)
    assert all(source[i - 1] == "\\" for i, ch in enumerate(source) if ch in ":$[")


MARKUP_HEAVY = st.text(alphabet=st.sampled_from(string.punctuation + "ab1 \n\té"), max_size=40)


@given(st.one_of(st.text(), MARKUP_HEAVY))
def test_any_text_shows_as_itself(text: str) -> None:
    source = md(text)
    assert {t.type for t in inline_tokens(source)} <= PLAIN
    expected = collapsed(text).replace(FSI, "").replace(PDI, "")
    assert shown(source) == expected.replace("\0", "\ufffd")  # CommonMark's rule for NUL


def _isolate_depths(text: str) -> list[int]:
    depth, depths = 0, []
    for char in text:
        if char in "\u2066\u2067\u2068":
            depth += 1
        elif char == PDI and depth:
            depth -= 1
        depths.append(depth)
    return depths


@given(st.text(alphabet=st.sampled_from("ab\u202e\u202b\u202c\u2066\u2067\u2068\u2069")))
def test_user_bidi_controls_never_leave_the_isolate(text: str) -> None:
    """Our outermost isolate closes only at its last character: an override in the text
    cannot reach the app's words that follow."""
    depths = _isolate_depths(isolate(text))
    assert depths[-1] == 0
    assert all(d > 0 for d in depths[:-1])


def test_naive_wrapping_would_leak() -> None:
    """Why ``isolate`` counts: a stray PDI closes a plain FSI…PDI wrapper early."""
    text = "a\u2069\u202eb"
    assert 0 in _isolate_depths(FSI + text + PDI)[:-1]
    assert 0 not in _isolate_depths(isolate(text))[:-1]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


@pytest.mark.parametrize("name", list(HOSTILE))
def test_html_text_is_one_bdi_with_the_text(name: str) -> None:
    parser = _Tags()
    parser.feed(html_text(HOSTILE[name]))
    assert parser.tags == ["bdi"]
    assert parser.text == HOSTILE[name]
