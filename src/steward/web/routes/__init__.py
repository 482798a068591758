"""One router per slice of the web app."""
