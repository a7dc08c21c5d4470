"""The loop facts of an input the importer creates, computed from the links it writes.

``tracker.loop.refresh_loop_facts`` recomputes facts with correlated subqueries (and
the repeated-ask flags after them); for a batch of new inputs whose every link and
report-back the batch itself writes, the facts are known before the insert, so they go
in with the row, by the same rules (``tracker.loop``'s docstring). Inputs that were
already there when the batch linked them still go through ``refresh_loop_facts``, and
the tests check both against ``tracker.loop.facts_drift``.
"""

from datetime import datetime
from typing import Any

from tracker.codes import OPEN_ACTION_STATUSES
from tracker.io.batch import Batch


def loop_facts(links: list[tuple[datetime, str, datetime | None]],
               reports: list[datetime]) -> dict[str, Any]:
    """Facts from the input's links (linked at, action status, action closed at) and the
    times of its report-backs."""
    open_count = sum(1 for _, status, _ in links if status in OPEN_ACTION_STATUSES)
    closed = [c for _, _, c in links if c is not None]
    last_closed = max(closed) if closed else None
    closing = [r for r in reports if last_closed is None or r >= last_closed]
    return {
        "actions_total": len(links),
        "actions_open": open_count,
        "first_action_at": min((at for at, _, _ in links), default=None),
        "last_action_closed_at": last_closed if open_count == 0 else None,
        "first_report_back_at": min(reports, default=None),
        "closed_at": min(closing) if open_count == 0 and closing else None,
    }


def new_input_facts(batch: Batch) -> list[dict[str, Any]]:
    """The facts of each new input of ``batch`` (in order), with ``_first``: the first
    link or report-back, which acknowledges it."""
    count = len(batch.inputs)
    linked: list[list[tuple[datetime, str, datetime | None]]] = [[] for _ in range(count)]
    reported: list[list[datetime]] = [[] for _ in range(count)]
    for aref, iref, plan in batch.links:
        if iref[0] != "new":
            continue
        if aref[0] == "new":
            values = batch.actions[aref[1]].action.values  # type: ignore[union-attr]
            status, closed = values["status"], values["closed_at"]
        else:
            status, closed = batch.state[("action", aref[1])]
        linked[iref[1]].append((plan.action.linked_at, status, closed))  # type: ignore[union-attr]
    for rref, iref, _plan in batch.told:
        if iref[0] != "new":
            continue
        if rref[0] == "new":
            at = batch.reports[rref[1]].report_back.values["reported_at"]  # type: ignore[union-attr]
        else:
            (at,) = batch.state[("report_back", rref[1])]
        reported[iref[1]].append(at)
    return [loop_facts(a, r) | {"_first": min([x for x, _, _ in a] + r, default=None)}
            for a, r in zip(linked, reported, strict=True)]
