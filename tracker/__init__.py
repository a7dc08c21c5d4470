"""Hearback: record what communities say, link it to what the mission did, report back."""

__version__ = "0.1.0"
