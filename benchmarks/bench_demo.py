"""Time the demo generator at scale: ``python benchmarks/bench_demo.py --inputs 1000000``.

Builds into a fresh temporary SQLite file, or into ``--db URL`` (which must hold no
inputs; ``--schema`` puts the run in a new PostgreSQL schema, dropped afterwards, so a
shared server stays clean), then prints the elapsed time and the rows per table.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from tracker.db import make_engine, scratch_schema
from tracker.demo import generate_demo
from tracker.migrate import upgrade
from tracker.models import metadata
from tracker.settings import normalise_url


def run(engine: Engine, inputs: int, seed: int) -> None:
    """Migrate, generate, then report the time and what landed in each table."""
    started = time.perf_counter()
    upgrade(engine)
    migrated = time.perf_counter()
    summary = generate_demo(engine, inputs=inputs, seed=seed)
    print(f"migrate: {migrated - started:.2f} s")
    print(f"generate_demo({inputs:,} inputs, seed={seed}): {summary.elapsed:.1f} s")
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            count = conn.scalar(select(func.count()).select_from(table))
            print(f"  {table.name:<22}{count:>12,}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--schema", action="store_true",
                        help="with a PostgreSQL --db: run in a new schema, dropped afterwards")
    args = parser.parse_args(argv)
    if args.db is None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            engine = make_engine(f"sqlite:///{path}")
            run(engine, args.inputs, args.seed)
            engine.dispose()
            print(f"SQLite file: {path.stat().st_size / 2**20:,.0f} MiB")
        return 0
    url = normalise_url(args.db)
    if not args.schema:
        run(make_engine(url), args.inputs, args.seed)
        return 0
    with scratch_schema(url, "bench_demo") as engine:
        run(engine, args.inputs, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
