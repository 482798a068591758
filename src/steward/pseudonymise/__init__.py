"""Keyed pseudonyms and degrade transforms: the only place raw identifiers are turned into data."""
