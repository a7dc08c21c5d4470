"""Write requirements.lock: the exact installed versions of everything Hearback needs.

Walks the requirements of the installed ``hearback`` distribution (runtime, plus the
``dev`` and ``postgres`` extras) through the environment's installed packages, so
the lock holds the closure the project uses and nothing else that happens to be
installed. ``pip-audit -r requirements.lock`` then checks exactly what is deployed
and tested. Run with the project's virtual environment's Python:

    python tools/lock_requirements.py > requirements.lock
"""

import sys
from importlib.metadata import PackageNotFoundError, distribution

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = "hearback"
EXTRAS = ("dev", "postgres")


def closure(root: str = ROOT, extras: tuple[str, ...] = EXTRAS) -> dict[str, str]:
    """Canonical name -> installed version of every package ``root`` pulls in."""
    found: dict[str, str] = {}
    todo: list[tuple[str, tuple[str, ...]]] = [(root, extras)]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while todo:
        name, wanted = todo.pop()
        if (name, wanted) in seen:
            continue
        seen.add((name, wanted))
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            sys.exit(f"{name} is required but not installed: install the project first")
        key = canonicalize_name(dist.metadata["Name"])
        if key != ROOT:
            found[key] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            envs = [default_environment() | {"extra": e} for e in ("", *wanted)]
            if req.marker is None or any(req.marker.evaluate(env) for env in envs):
                todo.append((canonicalize_name(req.name), tuple(sorted(req.extras))))
    return found


def main() -> None:
    pins = closure()
    print("# Exact versions of Hearback's runtime, dev and postgres dependencies.")
    print("# Regenerate: python tools/lock_requirements.py > requirements.lock")
    for name in sorted(pins):
        print(f"{name}=={pins[name]}")


if __name__ == "__main__":
    main()
