"""Consent and qualitative research data: participants, versioned consent, sealed contact details,
encrypted recordings and transcripts, transcription hand-offs."""
