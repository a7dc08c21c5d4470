"""Public display — "You said — we did": big type, the viewer's language, aggregates only.

Query parameters: ``lang``, ``region`` or ``locality`` (number, name or path), ``period``
(``30``, ``90``, ``365`` days or ``all``) and ``kiosk=1`` (slides rotate by themselves,
no sidebar). Every number comes from ``tracker.public.public_content``, which applies
the suppression rules; this page only lays it out.
"""

from datetime import UTC, datetime, timedelta
from html import escape

import streamlit as st

from dashboard.components.guard import run_guarded
from dashboard.context import localizer
from dashboard.resources import cached, get_engine, load_places
from tracker.codes import LocalityLevel
from tracker.db import read_session
from tracker.escaping import html_text, md
from tracker.public.content import PublicContent, public_content
from tracker.public.handout import period_text, render_handout, shown_text
from tracker.reference import places_named

loc = localizer()
_ = loc.gettext
PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}
SLIDE_SECONDS = 12

st.html("""<style>
[data-testid='stMain'] h1 { font-size: 3.2rem; }
.hb-slide { font-size: 1.9rem; line-height: 1.35; }
.hb-big { font-size: 4.5rem; font-weight: 800; color: #0b3d91; line-height: 1.1; }
.hb-row { display: flex; justify-content: space-between; gap: 1rem; padding: .45rem 0;
          border-bottom: 2px solid #ddd; }
.hb-row b { font-size: 2.2rem; white-space: nowrap; }
.hb-message { font-size: 1.8rem; border-inline-start: 10px solid #0b5cad;
              padding: .3rem 1rem; margin: .8rem 0; unicode-bidi: plaintext; }
.hb-muted { color: #333; font-size: 1.3rem; }
@media (max-width: 640px) { .hb-slide { font-size: 1.2rem; } .hb-big { font-size: 2.6rem; }
  .hb-row b { font-size: 1.4rem; } .hb-message { font-size: 1.2rem; } }
</style>""")


def _area() -> int | None:
    level = LocalityLevel.LOCALITY if st.query_params.get("locality") else LocalityLevel.REGION
    wanted = st.query_params.get("locality") or st.query_params.get("region")
    if not wanted:
        return None
    found = places_named(load_places(), wanted, level)
    if len(found) == 1:
        return found[0].id
    # ``wanted`` comes from the URL: anyone can put a link or markup there.
    if found:
        st.warning(md(_("Several places are called {name}: showing the whole mission. Link "
                        "to one by its number: {choices}.", name=wanted,
                        choices=", ".join(f"{p.path} ({p.id})" for p in found))))
    else:
        st.warning(md(_("Unknown place {name}: showing the whole mission.", name=wanted)))
    return None


@cached(ttl=300, max_entries=64)
def _content(area_id: int | None, days: int | None, lang: str, today: str) -> PublicContent:
    now = datetime.now(UTC)
    since = now.date() - timedelta(days=days - 1) if days else None
    with read_session(get_engine()) as session:
        return public_content(session, area_id=area_id, since=since,
                              until=now.date() if days else None, lang=lang, now=now)


def _rows(pairs: list[tuple[str, str]]) -> str:
    """Label and figure rows; labels may be officers' words (titles, term labels)."""
    return "".join(f"<div class='hb-row'><span>{html_text(a)}</span><b>{escape(b)}</b></div>"
                   for a, b in pairs)


def slide_said(c: PublicContent) -> None:
    st.header(_("You said"))
    heard = _("contributions heard")
    st.html(f"<div class='hb-slide'><div class='hb-big'>{escape(shown_text(loc, c.inputs))}</div>"
            f"{escape(heard)}</div>")
    st.html("<div class='hb-slide'>" + _rows(
        [(_(t.label), shown_text(loc, t.count)) for t in c.themes]) + "</div>")


def slide_did(c: PublicContent) -> None:
    st.header(_("We did"))
    st.html("<div class='hb-slide'>" + _rows([
        (_("Actions completed"), shown_text(loc, c.actions_done)),
        (_("Promises kept on time"), _("{kept} of {due}", kept=shown_text(loc, c.commitments_kept),
                                       due=shown_text(loc, c.commitments_due))),
    ]) + "</div>")
    if c.open_commitments:
        st.subheader(_("Still to do"))
        st.html("<div class='hb-slide'>" + _rows([
            (p.title, _("due {date}", date=loc.date(p.due_date, "long"))
             + (" · " + _("late") if p.overdue else "")) for p in c.open_commitments]) + "</div>")


def slide_speed(c: PublicContent) -> None:
    st.header(_("How fast we answered"))
    pairs = [(_("People told what came of what they said"),
              _("{answered} of {total}", answered=shown_text(loc, c.answered),
                total=shown_text(loc, c.inputs)))]
    if c.median_days_to_report_back is not None:
        pairs.append((_("Median time to report back"),
                      loc.ngettext("{n} day", "{n} days",
                                   round(c.median_days_to_report_back))))
    st.html("<div class='hb-slide'>" + _rows(pairs) + "</div>")


def slide_told(c: PublicContent) -> None:
    """Approved messages: each in its own block (its own bidi paragraph), text escaped."""
    st.header(_("What we told you"))
    if not c.messages:
        none_yet = _("No message yet.")
        st.html(f"<div class='hb-slide hb-muted'>{escape(none_yet)}</div>")
    for m in c.messages:
        st.html(f"<div class='hb-message' lang='{escape(m.language)}' dir='auto'>"
                f"{escape(m.text)}<div class='hb-muted'>{escape(loc.date(m.reported_on, 'long'))}"
                "</div></div>")


SLIDES = [slide_said, slide_did, slide_speed, slide_told]
period = st.query_params.get("period", "90")
days = PERIODS.get(period, 90)
area_id = _area()


def _current() -> PublicContent:
    """Cached for five minutes, so a screen left on all day shows new figures."""
    return _content(area_id, days, loc.locale, datetime.now(UTC).date().isoformat())


content = _current()

st.title(_("You said — we did"))
st.caption(md(content.area_name) + " · " + md(period_text(loc, content)))

if st.query_params.get("kiosk") == "1":
    @st.fragment(run_every=timedelta(seconds=SLIDE_SECONDS))
    def _rotate() -> None:
        index = st.session_state.get("slide", -1) + 1
        st.session_state["slide"] = index % len(SLIDES)
        # A fragment rerun does not pass through the entrypoint's guard: guard it here.
        run_guarded(loc, lambda: SLIDES[st.session_state["slide"]](_current()))

    _rotate()
else:
    for slide in SLIDES:
        slide(content)
    st.download_button(_("Printable handout"), render_handout(content, loc),
                       file_name=f"you-said-we-did-{loc.locale}.html", mime="text/html",
                       key="public_handout")
st.caption(_("Counts below 5 are not shown, to protect the people who speak."))
