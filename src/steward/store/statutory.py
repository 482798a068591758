"""Store tables of the statutory returns (CIN census, SSDA903), as plain data.

Each table: its columns as (name, Arrow type, data category) and its event key (pseudonymised)
for the supersede rule. Identifiers never appear: ``child_pid`` / ``upn_pid`` are keyed
pseudonyms, birth and death dates are year-month, postcodes are districts.
"""

from __future__ import annotations

import pyarrow as pa

S, D, INT, B = pa.string(), pa.date32(), pa.int64(), pa.bool_()
PID = ("child_pid", S, "identifier_pseudonymised")
EVENT = "social_care_event"

Column = tuple[str, pa.DataType, str]

STATUTORY_TABLES: dict[str, tuple[tuple[Column, ...], tuple[str, ...]]] = {
    "cin_children": (
        (
            PID,
            ("upn_pid", S, "identifier_pseudonymised"),
            ("former_upn_pid", S, "identifier_pseudonymised"),
            ("upn_unknown", S, EVENT),
            ("birth_year_month", S, "birth_year_month"),
            ("expected_birth_year_month", S, "birth_year_month"),
            ("gender", S, "gender"),
            ("death_year_month", S, EVENT),
            ("ethnicity", S, "ethnicity"),
            ("collection_year", INT, "provenance"),
        ),
        ("child_pid",),
    ),
    "cin_disabilities": ((PID, ("disability", S, "disability")), ("child_pid", "disability")),
    "cin_episodes": (
        (
            PID,
            ("referral_date", D, EVENT),
            ("referral_source", S, EVENT),
            ("primary_need", S, EVENT),
            ("closure_date", D, EVENT),
            ("closure_reason", S, EVENT),
            ("initial_cpc_date", D, EVENT),
            ("referral_nfa", B, EVENT),
        ),
        ("child_pid", "referral_date"),
    ),
    "cin_assessments": (
        (
            PID,
            ("referral_date", D, EVENT),
            ("assessment_start_date", D, EVENT),
            ("assessment_review_date", D, EVENT),
            ("assessment_authorised_date", D, EVENT),
        ),
        ("child_pid", "assessment_start_date"),
    ),
    "cin_assessment_factors": (
        (
            PID,
            ("referral_date", D, EVENT),
            ("assessment_start_date", D, EVENT),
            ("factor", S, EVENT),
        ),
        ("child_pid", "assessment_start_date", "factor"),
    ),
    "cin_plans": (
        (
            PID,
            ("referral_date", D, EVENT),
            ("cin_plan_start_date", D, EVENT),
            ("cin_plan_end_date", D, EVENT),
        ),
        ("child_pid", "cin_plan_start_date"),
    ),
    "cin_section47": (
        (
            PID,
            ("referral_date", D, EVENT),
            ("s47_start_date", D, EVENT),
            ("icpc_target_date", D, EVENT),
            ("icpc_date", D, EVENT),
            ("icpc_not_required", B, EVENT),
        ),
        ("child_pid", "s47_start_date"),
    ),
    "cin_cp_plans": (
        (
            PID,
            ("referral_date", D, EVENT),
            ("cpp_start_date", D, EVENT),
            ("cpp_end_date", D, EVENT),
            ("initial_category", S, EVENT),
            ("latest_category", S, EVENT),
            ("previous_cpp", INT, EVENT),
        ),
        ("child_pid", "cpp_start_date"),
    ),
    "cin_cpp_reviews": (
        (PID, ("cpp_start_date", D, EVENT), ("review_date", D, EVENT)),
        ("child_pid", "cpp_start_date", "review_date"),
    ),
    "cin_pre_proceedings": (
        (
            PID,
            ("referral_date", D, EVENT),
            ("pp_start_date", D, EVENT),
            ("lbp_sent_date", D, EVENT),
            ("fgdm_offered", B, EVENT),
            ("fgdm_facilitated", B, EVENT),
            ("initial_pp_meeting_date", D, EVENT),
            ("review_meetings", INT, EVENT),
            ("step_decision_date", D, EVENT),
            ("pp_outcome", S, EVENT),
            ("court_application_date", D, EVENT),
            ("letter_init_cp_date", D, EVENT),
        ),
        ("child_pid", "referral_date", "pp_start_date"),
    ),
    "s903_header": (
        (
            PID,
            ("sex", S, "gender"),
            ("birth_year_month", S, "birth_year_month"),
            ("ethnicity", S, "ethnicity"),
            ("upn_pid", S, "identifier_pseudonymised"),
            ("mother", B, EVENT),
            ("mother_child_birth_year_month", S, EVENT),
        ),
        ("child_pid",),
    ),
    "s903_episodes": (
        (
            PID,
            ("episode_start_date", D, EVENT),
            ("reason_new_episode", S, EVENT),
            ("legal_status", S, EVENT),
            ("cin_need", S, EVENT),
            ("placement", S, EVENT),
            ("placement_provider", S, EVENT),
            ("episode_end_date", D, EVENT),
            ("reason_episode_ceased", S, EVENT),
            ("reason_place_change", S, EVENT),
            ("home_postcode_district", S, EVENT),
            ("placement_postcode_district", S, EVENT),
            ("provider_urn", S, EVENT),
        ),
        ("child_pid", "episode_start_date"),
    ),
    "s903_periods_of_care": (
        (
            PID,
            ("period_no", INT, EVENT),
            ("period_start", D, EVENT),
            ("period_end", D, EVENT),
            ("episodes", INT, EVENT),
            ("first_legal_status", S, EVENT),
        ),
        ("child_pid", "period_start"),
    ),
    "s903_uasc": (
        (
            PID,
            ("sex", S, "gender"),
            ("birth_year_month", S, "birth_year_month"),
            ("uasc_ceased_date", D, "uasc_status"),
        ),
        ("child_pid",),
    ),
    "s903_reviews": (
        (PID, ("review_date", D, EVENT), ("review_code", S, EVENT)),
        ("child_pid", "review_date"),
    ),
    "s903_missing": (
        (PID, ("missing_type", S, EVENT), ("missing_start", D, EVENT), ("missing_end", D, EVENT)),
        ("child_pid", "missing_start"),
    ),
}
