"""SSDA903 (children looked after) CSV tables: identified by their columns, cleaned in Arrow."""
