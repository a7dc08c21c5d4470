"""The public screen as a printable page, for a place with no projector.

The same ``PublicContent`` the display shows, laid out as one self-contained HTML file
with print styles, in the viewer's language and direction. Every string is escaped:
approved messages, commitment titles, theme labels and place names are officers' words;
those that sit inside a line are also bidi-isolated (``<bdi>``), so a right-to-left
override in a title cannot reverse the rest of the line.
"""

from html import escape

from tracker.escaping import html_text
from tracker.i18n import Localizer
from tracker.public.content import PublicContent
from tracker.public.suppression import Count, FewerThan, Shown

_STYLE = """
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; margin: 2rem;
       color: #111; line-height: 1.4; }
h1 { font-size: 2rem; margin-bottom: .2rem; } h2 { font-size: 1.4rem; margin-top: 1.6rem;
     border-bottom: 3px solid #111; }
.big { font-size: 2.4rem; font-weight: 700; } .muted { color: #444; }
ul { padding-inline-start: 1.2rem; } li { margin: .3rem 0; font-size: 1.1rem; }
.message { border-inline-start: 6px solid #0b5cad; padding: .4rem .8rem; margin: .6rem 0;
           unicode-bidi: plaintext; }
@media print { body { margin: 1cm; } h2 { break-after: avoid; } .message { break-inside: avoid; } }
"""


def shown_text(loc: Localizer, shown: Shown) -> str:
    """A protected count as words: the number, "fewer than 5", or a dash when withheld."""
    if isinstance(shown, Count):
        text = loc.number(shown.value)
        return loc.gettext("about {n}", n=text) if shown.rounded_to else text
    if isinstance(shown, FewerThan):
        return loc.gettext("fewer than {n}", n=loc.number(shown.threshold))
    return "–"


def period_text(loc: Localizer, content: PublicContent) -> str:
    if content.since and content.until:
        return loc.gettext("{start} to {end}", start=loc.date(content.since, "long"),
                           end=loc.date(content.until, "long"))
    if content.since:
        return loc.gettext("since {start}", start=loc.date(content.since, "long"))
    return loc.gettext("all records until {end}", end=loc.date(content.as_of, "long"))


def render_handout(content: PublicContent, loc: Localizer) -> str:
    _ = loc.gettext
    e = escape
    # Translated first, formatted after: gettext calls inside f-strings are invisible
    # to the catalog extractor on Python 3.11.
    words = {
        "title": _("You said — we did"),
        "said": _("You said"),
        "heard": _("contributions heard"),
        "did": _("We did"),
        "done": _("Actions completed"),
        "kept": _("Promises kept on time: {kept} of {due}",
                  kept=shown_text(loc, content.commitments_kept),
                  due=shown_text(loc, content.commitments_due)),
        "fast": _("How fast we answered"),
        "told": _("People told what came of what they said: {answered} of {total}",
                  answered=shown_text(loc, content.answered),
                  total=shown_text(loc, content.inputs)),
        "speed": (_("Median time to report back: {days} days",
                    days=loc.number(content.median_days_to_report_back, 1))
                  if content.median_days_to_report_back is not None else ""),
        "messages": _("What we told you"),
        "late": _("late"),
        "privacy": _("Counts below 5 are not shown, to protect the people who speak."),
    }
    w = {key: e(value) for key, value in words.items()}
    themes = "".join(
        f"<li>{html_text(_(t.label))}: <b>{e(shown_text(loc, t.count))}</b></li>"
        for t in content.themes)
    promises = "".join(
        "<li>{} — {}{}</li>".format(
            html_text(c.title), e(_("due {date}", date=loc.date(c.due_date, "long"))),
            f" <b>({w['late']})</b>" if c.overdue else "")
        for c in content.open_commitments)
    messages = "".join(
        f"<div class='message' lang='{e(m.language)}' dir='auto'>{e(m.text)}"
        f"<div class='muted'>{e(loc.date(m.reported_on, 'long'))}</div></div>"
        for m in content.messages)
    return f"""<!doctype html>
<html lang="{e(loc.locale)}" dir="{loc.direction}"><head><meta charset="utf-8">
<title>{w['title']}: {e(content.area_name)}</title><style>{_STYLE}</style></head>
<body>
<h1>{w['title']}</h1>
<p class="muted">{html_text(content.area_name)} · {e(period_text(loc, content))}</p>
<h2>{w['said']}</h2>
<p><span class="big">{e(shown_text(loc, content.inputs))}</span> {w['heard']}</p>
<ul>{themes}</ul>
<h2>{w['did']}</h2>
<p>{w['done']}: <b>{e(shown_text(loc, content.actions_done))}</b></p>
<p>{w['kept']}</p>
<ul>{promises}</ul>
<h2>{w['fast']}</h2>
<p>{w['told']}</p>
<p>{w['speed']}</p>
<h2>{w['messages']}</h2>
{messages or "<p class='muted'>–</p>"}
<p class="muted">{w['privacy']}</p>
</body></html>"""
