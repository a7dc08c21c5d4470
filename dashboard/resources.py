"""Process-wide resources: the engine is cached once per server, never a session."""

import streamlit as st
from sqlalchemy import Engine

from tracker.db import make_engine


@st.cache_resource
def get_engine() -> Engine:
    return make_engine()
