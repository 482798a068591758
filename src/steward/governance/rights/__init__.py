"""Data subject rights: requests, statutory deadlines, locating the person, access packs,
rectification, erasure, restriction and objection."""
