"""Time each dashboard page: ``python benchmarks/bench_pages.py --inputs 100000``.

Builds a demo database of the given size (or uses ``--db URL``), then renders every
page through Streamlit's AppTest: once with empty caches (what the first visitor after
a save waits for) and three more times (cached), printing the median of each. Pages
are rendered signed in as the database's first admin, who may open every page.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

PAGES = ["views/follow_ups.py", "views/log_input.py", "views/input_detail.py",
         "views/actions.py", "views/locality.py", "views/leadership.py", "views/settings.py"]
APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--db", help="use this database instead of building one")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = args.db
    if url is None:
        from tracker.cli import init_database
        from tracker.db import make_engine
        from tracker.demo import generate_demo

        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'pages.db'}"
        engine = make_engine(url)
        init_database(engine)
        summary = generate_demo(engine, inputs=args.inputs)
        print(f"demo database: {summary.inputs:,} inputs in {summary.elapsed:.1f} s")
        engine.dispose()
    os.environ["HEARBACK_DATABASE_URL"] = url

    import streamlit as st
    from sqlmodel import Session, select
    from streamlit.testing.v1 import AppTest

    from dashboard.context import AUTH_KEY
    from tracker.db import make_engine
    from tracker.models import User
    from tracker.signin import start_session

    engine = make_engine(url)
    with Session(engine) as session:  # every page, Settings included: an admin's session
        admin = session.exec(select(User).where(User.role == "admin", User.username != "system")
                             .order_by(User.id)).first()
    assert admin is not None, "the database needs an admin account"
    token = start_session(engine, admin)

    print(f"{'page':<26}{'first (s)':>10}{'cached (s)':>12}")
    for page in PAGES:
        st.cache_data.clear()
        times = []
        for _ in range(1 + args.repeat):
            at = AppTest.from_file(APP, default_timeout=300)
            at.session_state[AUTH_KEY] = token
            if page.endswith("input_detail.py"):
                at.query_params["id"] = "1"
            at.run()
            at.switch_page(page)
            if page.endswith("input_detail.py"):
                at.query_params["id"] = "1"
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
            assert not at.exception, at.exception
        print(f"{page.split('/')[-1]:<26}{times[0]:>10.3f}{statistics.median(times[1:]):>12.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
