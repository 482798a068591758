"""Study definitions: local authorities, go-live dates, windows, cohort and outcome rules."""
