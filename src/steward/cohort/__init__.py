"""Builds the analysis dataset (one row per child) from the store according to a study definition."""
