"""Accountability registers: complaints, disclosures under a legal obligation, data breaches."""
