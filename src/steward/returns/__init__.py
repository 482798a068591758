"""Reading local authority returns: detect, normalise, validate, report quality."""
