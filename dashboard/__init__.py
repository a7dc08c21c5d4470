"""The Streamlit dashboard: a thin layer over the ``tracker`` library."""
