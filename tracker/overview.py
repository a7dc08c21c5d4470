"""Everything the leadership dashboard shows for one set of filters, read in parallel.

The same for every role, so one cached copy serves them all: the list of oldest open
inputs follows the reader's role and is read apart (``breakdowns.oldest_open``).

Each figure is its own aggregate query; on a two-core field laptop running them on
two connections at once (SQLite in WAL mode lets readers run side by side, and the
driver releases the GIL while a query runs) halves the wait for the first viewer.
Filters the rollups cover (period and area: ``tracker.rollups.read.supported``) are read
from them, a few thousand summary rows; others from the inputs themselves.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session

from tracker import breakdowns
from tracker.breakdowns_pass import leadership_breakdowns
from tracker.db import read_session
from tracker.metrics import Filters, figures
from tracker.rollups import read as rollups
from tracker.trends import Trends, combine, trend_periods

CLOSURE_DIMENSIONS = ("region", "theme", "channel", "component")
ONE_PASS = "one_pass"  # the jobs whose result is a dict of several figures
# The one-pass breakdowns in two halves, one per worker: grouping a large scope costs more
# than reading it twice.
PASSES = (("by_region", "by_channel", "by_component", "locality_map"),
          ("bottlenecks", "inclusion", "report_back_distribution", "weekly_flow"))
# Up to this share of all inputs in scope, reading them once and grouping them per
# breakdown beats a query per breakdown (a theme's third: twice as fast at a million);
# a filter that keeps most inputs (the civilian component) groups faster in place.
ONE_PASS_SHARE = 0.5


@dataclass(frozen=True)
class LeadershipData:
    trends: Trends
    weekly_flow: pd.DataFrame
    report_back_distribution: pd.DataFrame
    closure_by: dict[str, pd.DataFrame]
    inclusion: pd.DataFrame
    locality_map: pd.DataFrame
    bottlenecks: pd.DataFrame


def leadership_data(engine: Engine, filters: Filters, now: datetime, *,
                    workers: int = 2) -> LeadershipData:
    """All the dashboard's figures for ``filters`` as of ``now``."""
    shown, before = trend_periods(filters, now)
    if not rollups.supported(filters):
        with read_session(engine) as session:
            share = rollups.narrowed_share(session, filters)
        jobs = _straight_jobs(filters, now, shown, before, one_pass=share <= ONE_PASS_SHARE)
        return _assemble(engine, filters, shown, before, jobs, workers)

    def run(job: Callable[[Session], Any]) -> Any:
        with read_session(engine) as session:
            return job(session)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        # Open inputs not yet due at ``now``: read once, shared by every "overdue" figure.
        # The jobs that do not wait for them are queued first, so no worker sits idle
        # while the others wait.
        waiting = pool.submit(run, lambda s: rollups.pending(s, filters, now))
        jobs: dict[str, Callable[[Session], Any]] = {
            **({"previous": lambda s: rollups.figures(s, before[0], now=before[1]).as_dict()}
               if before else {}),
            "weekly_flow": lambda s: rollups.weekly_flow(s, filters),
            "report_back_distribution": lambda s: rollups.report_back_distribution(s, filters),
            "inclusion": lambda s: rollups.inclusion_over_time(s, filters),
            "locality_map": lambda s: rollups.locality_map(s, filters),
            "current": lambda s: rollups.figures(s, shown[0], now=shown[1], waiting=waiting.result()
                                                 if shown[0] == filters else None).as_dict(),
            "bottlenecks": lambda s: rollups.bottlenecks(s, filters, now, waiting=waiting.result()),
            **{f"by_{d}": (lambda s, d=d: rollups.closure_by(s, filters, d, now=now,
                                                            waiting=waiting.result()))
               for d in CLOSURE_DIMENSIONS},
        }
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        results = {name: future.result() for name, future in futures.items()}
    return _result(shown, before, results)


def _straight_jobs(filters: Filters, now: datetime, shown: Any, before: Any, *,
                   one_pass: bool) -> dict[str, Callable[[Session], Any]]:
    """The same figures counted from the inputs (filters the rollups do not cover): the
    headline figures of each period, the breakdowns of the inputs in scope (with
    ``one_pass``, in two passes: ``PASSES``; else a query each) and the breakdown by
    theme (a join of its own)."""
    if one_pass:
        parts = {f"{ONE_PASS}{i}": (lambda s, part=part: leadership_breakdowns(s, filters, now, part))
                 for i, part in enumerate(PASSES)}
    else:
        parts = {
            "weekly_flow": lambda s: breakdowns.weekly_flow(s, filters),
            "report_back_distribution": lambda s: breakdowns.report_back_distribution(s, filters),
            "inclusion": lambda s: breakdowns.inclusion_over_time(s, filters),
            "locality_map": lambda s: breakdowns.locality_map(s, filters),
            "bottlenecks": lambda s: breakdowns.bottlenecks(s, filters, now),
            **{f"by_{d}": (lambda s, d=d: breakdowns.closure_by(s, filters, d, now=now))
               for d in CLOSURE_DIMENSIONS if d != "theme"},
        }
    return {
        "current": lambda s: figures(s, shown[0], now=shown[1]).as_dict(),
        **({"previous": lambda s: figures(s, before[0], now=before[1]).as_dict()}
           if before else {}),
        **parts,
        "by_theme": lambda s: breakdowns.closure_by(s, filters, "theme", now=now),
    }


def _assemble(engine: Engine, filters: Filters, shown: Any, before: Any,
              jobs: dict[str, Callable[[Session], Any]], workers: int) -> LeadershipData:
    def run(job: Callable[[Session], Any]) -> Any:
        with read_session(engine) as session:
            return job(session)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        results = {name: future.result() for name, future in futures.items()}
    for name in [n for n in results if n.startswith(ONE_PASS)]:
        results |= results.pop(name)
    return _result(shown, before, results)


def _result(shown: Any, before: Any, results: dict[str, Any]) -> LeadershipData:
    return LeadershipData(
        trends=combine((shown[0], results["current"]),
                       (before[0], results["previous"]) if before else None),
        weekly_flow=results["weekly_flow"],
        report_back_distribution=results["report_back_distribution"],
        closure_by={d: results[f"by_{d}"] for d in CLOSURE_DIMENSIONS},
        inclusion=results["inclusion"],
        locality_map=results["locality_map"],
        bottlenecks=results["bottlenecks"],
    )
