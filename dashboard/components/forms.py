"""Form plumbing shared by pages: run a library call from a callback, keep errors by field."""

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard.resources import after_write
from tracker.errors import HearbackError, ValidationError
from tracker.escaping import md
from tracker.i18n import Localizer


def run_write(form: str, call: Callable[[], Any], success: str) -> bool:
    """Run ``call``; on a rule broken, keep the messages by field under ``form``'s key."""
    try:
        call()
    except ValidationError as exc:
        st.session_state[f"{form}_errors"] = exc.errors
        return False
    except HearbackError as exc:
        st.session_state[f"{form}_errors"] = {"": str(exc)}
        return False
    after_write()
    st.session_state[f"{form}_errors"] = {}
    st.session_state["flash"] = success
    return True


def field_error(loc: Localizer, form: str, *fields: str) -> None:
    """Show the error of ``fields`` (first found) right where it is called."""
    errors = st.session_state.get(f"{form}_errors", {})
    for name in fields:
        if errors.get(name):
            st.error(md(loc.gettext(errors[name])), icon="⚠️")
            return


def form_errors(loc: Localizer, form: str, known: set[str]) -> None:
    """Errors that belong to no field shown on the form (general ones, unknown fields)."""
    errors = st.session_state.get(f"{form}_errors", {})
    for name, message in errors.items():
        if name not in known:
            st.error(md(loc.gettext(message)), icon="⚠️")


def clear_errors(*forms: str, prefix: str = "") -> None:
    """Forget the errors of ``forms`` (and of every form named ``prefix…``): they were
    about another record, and would show on this one as if it had failed."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.endswith("_errors")]:
        name = key.removesuffix("_errors")
        if name in forms or (prefix and name.startswith(prefix)):
            del st.session_state[key]


def flash() -> None:
    """A one-time success message after a save (the rerun would otherwise lose it)."""
    message = st.session_state.pop("flash", None)
    if message:
        st.success(md(message), icon="✅")
