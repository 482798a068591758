"""Steward: the data system of a children's social care evaluation."""

__version__ = "0.1.0"
