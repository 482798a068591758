"""Store tables of the National Pupil Database extract, as plain data (see store/statutory.py).

Same shape as ``STATUTORY_TABLES``: per table its columns as (name, Arrow type, data category)
and its event key; the store adds the provenance columns. Every column is ``dfe_education_extract``
(the pupil matching reference included: it exists only inside the SRS), except the study's own
pseudonymised UPN in the lookup. The policy registry lets that category be held only in the
``srs_research`` environment, so an evaluator workspace refuses these tables before any row lands.

The extract is national, not an LA's: its rows carry ``la_code = NPD_SOURCE``.
"""

from __future__ import annotations

import pyarrow as pa

S, INT, B = pa.string(), pa.int64(), pa.bool_()
NPD = "dfe_education_extract"
NPD_SOURCE = "DfE-NPD"  # the 'la_code' of NPD submissions: the extract is national
PMR = ("pmr", S, NPD)

Column = tuple[str, pa.DataType, str]

NPD_TABLES: dict[str, tuple[tuple[Column, ...], tuple[str, ...]]] = {
    # One row per pupil, academic year (start year: 2018 = 2018/19) and term.
    "npd_absence": (
        (
            PMR,
            ("academic_year", INT, NPD),
            ("term", S, NPD),  # autumn | spring | summer
            ("sessions_possible", INT, NPD),
            ("authorised_absence", INT, NPD),
            ("unauthorised_absence", INT, NPD),
            ("overall_absence", INT, NPD),
        ),
        ("pmr", "academic_year", "term"),
    ),
    # One row per pupil and academic year (the census the FSM flags were taken at).
    "npd_fsm": (
        (
            PMR,
            ("academic_year", INT, NPD),
            ("census_term", S, NPD),
            ("fsm_eligible", B, NPD),
            ("ever_fsm_6", B, NPD),
            ("ever_fsm_6_p", B, NPD),
            ("disadvantaged", B, NPD),
        ),
        ("pmr", "academic_year"),
    ),
    # DfE's answer to the study's matching request: one row per pseudonymised UPN sent; a null
    # PMR means DfE found no pupil for it.
    "npd_pmr_lookup": (
        (PMR, ("upn_pid", S, "identifier_pseudonymised")),
        ("upn_pid",),
    ),
}


def npd_categories() -> frozenset[str]:
    """Every data category the NPD tables hold (checked before an NPD load starts)."""
    return frozenset(c[2] for columns, _ in NPD_TABLES.values() for c in columns)
