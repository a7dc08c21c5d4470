"""The read side: what pages, exports and the CLI show, one read model per module.

Every function takes the session and the acting user, applies
``tracker.access.visible_inputs`` to every list of inputs, pages or aggregates in SQL
(never loading a whole table) and returns small frozen dataclasses, never live ORM
objects, so a page can neither change a record nor read past the access rules.
"""

from tracker.queries._common import MAX_PAGE, InputBrief
from tracker.queries.asks import AskedBefore, earlier_open_asks
from tracker.queries.detail import (
    InputDetail,
    LinkedAction,
    ReportBackView,
    TimelineEvent,
    input_detail,
)
from tracker.queries.locality import (
    ActionDone,
    CodeCount,
    LocalityHistory,
    NotPossible,
    Promise,
    ReportBackBrief,
    ThemeAsked,
    locality_history,
)
from tracker.queries.queue import QueueItem, follow_up_count, follow_up_queue

__all__ = [
    "MAX_PAGE",
    "ActionDone",
    "AskedBefore",
    "CodeCount",
    "InputBrief",
    "InputDetail",
    "LinkedAction",
    "LocalityHistory",
    "NotPossible",
    "Promise",
    "QueueItem",
    "ReportBackBrief",
    "ReportBackView",
    "ThemeAsked",
    "TimelineEvent",
    "earlier_open_asks",
    "follow_up_count",
    "follow_up_queue",
    "input_detail",
    "locality_history",
]
