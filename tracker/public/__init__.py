"""The public "You said — we did" display: aggregates only, every number protected.

``suppression`` decides what each count of one screen may show (pure functions, with
``solver`` proving nothing hidden can be recomputed); ``sources`` counts in SQL;
``content`` gathers everything the screen shows for an area and period, in one
suppression pass, as frozen dataclasses the page only has to lay out.
"""

from tracker.public.content import PublicContent, public_content

__all__ = ["PublicContent", "public_content"]
