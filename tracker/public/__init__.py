"""The public "You said — we did" display: aggregates only, every number protected.

``suppression`` decides what each count may show (pure functions, with ``solver``
proving nothing hidden can be recomputed); ``tree`` lays every screen of a period out
as one table over the places, so no screen gives back another's hidden cell;
``sources`` counts in SQL; ``content`` gathers what one screen shows for an area and
period, as frozen dataclasses the page only has to lay out.
"""
