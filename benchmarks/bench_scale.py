"""The dashboards at scale: ``python benchmarks/bench_scale.py --inputs 1000000``.

Builds (or reuses) a demo database of N inputs — a SQLite file kept at ``--cache`` so a
rerun starts at once, and, when ``--pg URL`` or ``TEST_DATABASE_URL`` is set, a schema on
that PostgreSQL server kept as ``--pg-schema`` — then prints for each engine:

* every leadership figure (``tracker.overview.leadership_data``: KPIs now and before,
  weekly flow, report-back distribution, closure by region/theme/channel/component,
  inclusion, map, bottlenecks; then the oldest open inputs a leadership reader may
  see) for the whole period and for one region (from the rollups), for the most asked
  theme over the last 90 days (a filter the rollups do not cover: from the inputs), and
  the public display's content (``tracker.public.content.public_content``) for the
  mission, one region, and the localities with the most and the fewest inputs;
* against two baselines measured in the same run: one bare ``SELECT … GROUP BY`` scan
  over the input table, and the naive path of loading the inputs into pandas and
  computing the same figures there (``benchmarks/naive.py``);
* import throughput against a bare ``executemany`` of the rows the import wrote (the
  target) and of the CSV's cells as text (``benchmarks/bench_import.py``);
* the peak resident memory of the process that computed the dashboard.

Each measurement runs in a child process of its own, so the pandas baseline's memory
never counts against the dashboard's. Times are the first call in a fresh process (what
the first viewer waits for; the operating system's file cache is warm) and the median of
three more. Targets (issue 7, on a 2-core machine) are printed next to each figure.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
SCAN = ("SELECT type_code, count(*), count(closed_at), count(first_report_back_at) "
        "FROM input GROUP BY type_code")
HERE = Path(__file__).resolve()


def _engine(url: str, schema: str | None, *, bulk: bool = False) -> Engine:
    """An engine on ``url`` (in ``schema``). ``bulk``: for loading the demo, PostgreSQL gets
    more working memory, so its whole-table passes sort in memory rather than on disk (a
    speed-up only: they finish with the default too); the measurements use the defaults."""
    from sqlalchemy import create_engine

    from tracker.db import make_engine

    if schema is None:
        return make_engine(url)
    options = f"-csearch_path={schema}" + (" -cwork_mem=256MB" if bulk else "")
    return create_engine(url, connect_args={"options": options})


def ensure_database(url: str, schema: str | None, inputs: int, fresh: bool) -> None:
    """Build the demo database unless one of the right size is already there."""
    from tracker.cli import init_database
    from tracker.demo import generate_demo
    from tracker.models import Input

    if schema is not None:
        admin = _engine(url, None)
        with admin.begin() as conn:
            if fresh:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        admin.dispose()
    elif fresh:
        path = Path(url.removeprefix("sqlite:///"))
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
    engine = _engine(url, schema, bulk=True)
    started = time.perf_counter()
    init_database(engine)  # migrates an older cached database too
    with engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(Input.__table__))
    if have == 0:
        summary = generate_demo(engine, inputs=inputs, seed=1, as_of=AS_OF)
        print(f"  built {summary.inputs:,} inputs in {time.perf_counter() - started:.0f} s")
        settle(engine)
    elif have != inputs:
        raise SystemExit(f"the database holds {have:,} inputs, not {inputs:,}: use --fresh")
    else:
        print(f"  reusing {have:,} inputs ({time.perf_counter() - started:.1f} s to check)")
    engine.dispose()


def settle(engine: Engine) -> None:
    """What follows a bulk load in a deployment: the WAL folded into the SQLite file, or
    PostgreSQL's statistics and visibility map brought up to date (autovacuum would)."""
    raw = engine.raw_connection()  # outside any transaction: neither runs inside one
    try:
        if engine.dialect.name == "sqlite":
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute("VACUUM ANALYZE")
    finally:
        raw.close()


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``ru_maxrss`` would also count the parent's
    peak before ``exec`` (Linux keeps it across), so ``VmHWM`` is read where there is one."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Any, repeat: int) -> dict[str, float]:
    times = []
    for _ in range(1 + repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return {"first": times[0], "warm": statistics.median(times[1:]) if repeat else times[0]}


def measure(url: str, schema: str | None, repeat: int) -> dict[str, Any]:
    """In a child process: the dashboard's figures, the public content, the bare scan."""
    from sqlalchemy.orm import Session

    from tracker.breakdowns import oldest_open
    from tracker.codes import Role
    from tracker.metrics import Filters
    from tracker.models import User
    from tracker.overview import leadership_data
    from tracker.public.content import public_content

    engine = _engine(url, schema)
    with engine.connect() as conn:
        region, name = conn.execute(text(
            "SELECT id, name FROM locality WHERE level = 'region' ORDER BY name LIMIT 1")).one()
    with Session(engine) as session:
        leader = session.execute(select(User).where(User.role == Role.LEADERSHIP.value)
                                 .order_by(User.id).limit(1)).scalar_one()
        session.expunge(leader)

    def dashboard(filters: Filters) -> None:
        """What the page reads: the figures, then the oldest open inputs the reader may see."""
        leadership_data(engine, filters, AS_OF)
        with Session(engine) as session:
            oldest_open(session, filters, AS_OF, 15, viewer=leader)

    out: dict[str, Any] = {"region": name}
    out["leadership_all"] = _timed(lambda: dashboard(Filters()), repeat)
    out["leadership_region"] = _timed(lambda: dashboard(Filters(area_id=region)), repeat)
    # A filter the rollups do not cover (the inputs themselves are read): the most asked
    # theme over the dashboard's default period, the last 90 days.
    with engine.connect() as conn:
        theme = conn.execute(text("SELECT theme_code FROM input_theme GROUP BY theme_code "
                                  "ORDER BY count(*) DESC, theme_code LIMIT 1")).scalar_one()
    themed = Filters(since=AS_OF.date() - timedelta(days=89), until=AS_OF.date(), theme_code=theme)
    out["theme"] = theme
    out["leadership_theme"] = _timed(lambda: dashboard(themed), repeat)

    with engine.connect() as conn:  # the busiest and the quietest locality
        places = conn.execute(text(
            "SELECT l.id, l.name FROM locality l JOIN input i ON i.locality_id = l.id "
            "WHERE l.level = 'locality' GROUP BY l.id, l.name ORDER BY count(*) DESC, l.id")).all()

    def public(area: int | None) -> None:
        with Session(engine) as session:
            public_content(session, area_id=area, since=None, until=None, lang="fr", now=AS_OF)

    out["public"] = {}
    for label, area in (("the mission", None), (f"region {name}", region),
                        (f"busiest locality, {places[0][1]}", places[0][0]),
                        (f"quietest locality, {places[-1][1]}", places[-1][0])):
        out["public"][label] = _timed(lambda area=area: public(area), repeat)

    def scan() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql(SCAN).all()

    out["scan"] = _timed(scan, repeat)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def naive(url: str, schema: str | None) -> dict[str, Any]:
    """In a child process: load the inputs into pandas and compute the figures there."""
    import naive as naive_path

    engine = _engine(url, schema)
    with engine.connect() as conn:
        region = conn.execute(text(
            "SELECT id FROM locality WHERE level = 'region' ORDER BY name LIMIT 1")).scalar_one()
    started = time.perf_counter()
    frames = naive_path.load(engine)
    loaded = time.perf_counter()
    naive_path.leadership(frames, None, AS_OF)
    whole = time.perf_counter()
    naive_path.leadership(frames, region, AS_OF)
    done = time.perf_counter()
    return {"load": loaded - started, "all": whole - loaded, "region": done - whole,
            "peak_rss_mb": peak_rss_mb()}


def imports(url: str | None, rows: int) -> dict[str, float]:
    """Importer, an executemany of the rows it wrote and a bare one of the text cells, each
    into an empty database (bench_import's code), in rows of the CSV per second."""
    import bench_import as bi

    timing = bi.import_and_same_rows(url, rows, 1000, with_follow_up=True)
    with bi.fresh(url) as engine:
        bare = bi._bare(engine, bi.log_rows(rows, with_follow_up=True))
    return {"import": rows / timing.seconds, "same_rows": rows / timing.same_rows,
            "bare": rows / bare}


def _child(task: str, args: argparse.Namespace, url: str, schema: str | None) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE), "--child", task, "--url", url, "--repeat", str(args.repeat)]
    if schema:
        cmd += ["--schema", schema]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{task} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(label: str, m: dict[str, Any], n: dict[str, Any], imp: dict[str, float]) -> None:
    scan = m["scan"]["first"]
    print(f"\n== {label} ==  (region: {m['region']})")
    print(f"{'':34}{'first':>9}{'warm':>9}   against the baselines            target")
    for key, title, pandas in (("leadership_all", "leadership, whole period", n["load"] + n["all"]),
                               ("leadership_region", "leadership, one region", n["load"] + n["region"])):
        t = m[key]
        print(f"{title:<34}{t['first']:>8.3f}s{t['warm']:>8.3f}s   {t['first'] / scan:5.2f}× the scan, "
              f"{pandas / t['first']:6.0f}× faster than pandas   ≤1 scan, ≥10×, <1 s")
    t = m["leadership_theme"]
    print(f"{'leadership, one theme, 90 days':<34}{t['first']:>8.3f}s{t['warm']:>8.3f}s   "
          f"{t['first'] / scan:5.2f}× the scan ({m['theme']}: from the inputs, not the rollups)")
    for screen, t in m["public"].items():
        print(f"{'public display':<34}{t['first']:>8.3f}s{t['warm']:>8.3f}s   {screen:<35}<0.3 s")
    print(f"{'baseline: bare GROUP BY scan':<34}{scan:>8.3f}s{m['scan']['warm']:>8.3f}s   {SCAN}")
    print(f"{'baseline: pandas (load + figures)':<34}{n['load'] + n['all']:>8.3f}s"
          f"{'':9}   load {n['load']:.1f} s, whole {n['all']:.2f} s, region {n['region']:.2f} s, "
          f"peak {n['peak_rss_mb']:.0f} MB")
    print(f"{'import (rows/s)':<34}{imp['import']:>9,.0f}{'':9}   {imp['import'] / imp['bare']:.1%} of "
          f"a bare executemany, text cells ({imp['bare']:,.0f} rows/s)")
    print(f"{'baseline: executemany, same rows':<34}{imp['same_rows']:>9,.0f}{'':9}   import "
          f"{imp['import'] / imp['same_rows']:.1%} of it (the rows it wrote, indexes in place)   ≥50%")
    print(f"{'peak memory, dashboard process':<34}{m['peak_rss_mb']:>8.0f} MB{'':35}<400 MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--cache", default=None,
                        help="SQLite file to build or reuse (default: data/bench-scale-N.db)")
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (default: $TEST_DATABASE_URL; none: SQLite only)")
    parser.add_argument("--pg-schema", default=None, help="schema to build or reuse there")
    parser.add_argument("--fresh", action="store_true", help="rebuild the databases")
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        task = {"measure": lambda: measure(args.url, args.schema, args.repeat),
                "naive": lambda: naive(args.url, args.schema)}[args.child]
        print(json.dumps(task()))
        return 0
    from tracker.settings import PROJECT_ROOT, normalise_url

    cache = Path(args.cache or PROJECT_ROOT / "data" / f"bench-scale-{args.inputs}.db")
    targets: list[tuple[str, str, str | None, str | None]] = [
        ("SQLite", f"sqlite:///{cache.resolve()}", None, None)]
    if args.pg:
        pg = normalise_url(args.pg)
        targets.append(("PostgreSQL", pg, args.pg_schema or f"hb_bench_scale_{args.inputs}", pg))
    print(f"{args.inputs:,} inputs; {os.cpu_count()} CPUs")
    for label, url, schema, import_url in targets:
        print(f"{label}:")
        ensure_database(url, schema, args.inputs, args.fresh)
        m = _child("measure", args, url, schema)
        n = _child("naive", args, url, schema)
        report(label, m, n, imports(import_url, args.import_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
