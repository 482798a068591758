"""What the CIN census holds, year by year, as data: tables, fields and where they live in the XML.

Collection years are named by the year the census ends in (2023-24 → 2024), as the DfE XSDs are.
Schema differences across years:
- ``GenderCurrent`` (1/2/0/9) up to 2023-24; ``Sex`` (M/F/U) from 2024-25;
- ``CINPlanDates`` present from 2022 in the published XSDs;
- assessment factors 18A/19A split into B/C in 2021; 24A (child criminal exploitation) from 2022;
- referral source 5D (early help) and closure reason RC9 from 2023;
- ``PreProceedingsandFGDM`` (pre-proceedings and family group decision making) from 2025-26.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["string", "date", "int", "bool"]


@dataclass(frozen=True)
class CinField:
    column: str
    element: str
    type: ColumnType = "string"
    identifier: bool = False  # a raw identifier: pseudonymised at ingest, never stored


@dataclass(frozen=True)
class CinTable:
    """A table whose rows are the elements found at ``path`` (relative to ``Child``)."""

    name: str
    path: tuple[str, ...]
    fields: tuple[CinField, ...]
    # A repeated value directly inside the row element, e.g. Disability under Disabilities.
    repeated: CinField | None = None


def _d(column: str, element: str) -> CinField:
    return CinField(column, element, "date")


CHILDREN = CinTable(
    "cin_children",
    ("ChildIdentifiers",),
    (
        CinField("child_id", "LAchildID", identifier=True),
        CinField("upn", "UPN", identifier=True),
        CinField("former_upn", "FormerUPN", identifier=True),
        CinField("upn_unknown", "UPNunknown"),
        _d("birth_date", "PersonBirthDate"),
        _d("expected_birth_date", "ExpectedPersonBirthDate"),
        CinField("gender_current", "GenderCurrent"),
        CinField("sex", "Sex"),
        _d("death_date", "PersonDeathDate"),
    ),
)
CHARACTERISTICS = CinTable(
    "cin_characteristics",
    ("ChildCharacteristics",),
    (CinField("ethnicity", "Ethnicity"),),
)
DISABILITIES = CinTable(
    "cin_disabilities",
    ("ChildCharacteristics", "Disabilities"),
    (),
    repeated=CinField("disability", "Disability"),
)
EPISODES = CinTable(
    "cin_episodes",
    ("CINdetails",),
    (
        _d("referral_date", "CINreferralDate"),
        CinField("referral_source", "ReferralSource"),
        CinField("primary_need", "PrimaryNeedCode"),
        _d("closure_date", "CINclosureDate"),
        CinField("closure_reason", "ReasonForClosure"),
        _d("initial_cpc_date", "DateOfInitialCPC"),
        CinField("referral_nfa", "ReferralNFA", "bool"),
    ),
)
ASSESSMENTS = CinTable(
    "cin_assessments",
    ("CINdetails", "Assessments"),
    (
        _d("assessment_start_date", "AssessmentActualStartDate"),
        _d("assessment_review_date", "AssessmentInternalReviewDate"),
        _d("assessment_authorised_date", "AssessmentAuthorisationDate"),
    ),
)
ASSESSMENT_FACTORS = CinTable(
    "cin_assessment_factors",
    ("CINdetails", "Assessments", "FactorsIdentifiedAtAssessment"),
    (),
    repeated=CinField("factor", "AssessmentFactors"),
)
CIN_PLANS = CinTable(
    "cin_plans",
    ("CINdetails", "CINPlanDates"),
    (_d("cin_plan_start_date", "CINPlanStartDate"), _d("cin_plan_end_date", "CINPlanEndDate")),
)
SECTION_47 = CinTable(
    "cin_section47",
    ("CINdetails", "Section47"),
    (
        _d("s47_start_date", "S47ActualStartDate"),
        _d("icpc_target_date", "InitialCPCtarget"),
        _d("icpc_date", "DateOfInitialCPC"),
        CinField("icpc_not_required", "ICPCnotRequired", "bool"),
    ),
)
CP_PLANS = CinTable(
    "cin_cp_plans",
    ("CINdetails", "ChildProtectionPlans"),
    (
        _d("cpp_start_date", "CPPstartDate"),
        _d("cpp_end_date", "CPPendDate"),
        CinField("initial_category", "InitialCategoryOfAbuse"),
        CinField("latest_category", "LatestCategoryOfAbuse"),
        CinField("previous_cpp", "NumberOfPreviousCPP", "int"),
    ),
)
CPP_REVIEWS = CinTable(
    "cin_cpp_reviews",
    ("CINdetails", "ChildProtectionPlans", "Reviews"),
    (),
    repeated=CinField("review_date", "CPPreviewDate", "date"),
)
PRE_PROCEEDINGS = CinTable(
    "cin_pre_proceedings",
    ("CINdetails", "PreProceedingsandFGDM"),
    (
        _d("pp_start_date", "PPStartDate"),
        _d("lbp_sent_date", "LBPSentDate"),
        CinField("fgdm_offered", "FGDMMeetingOffer", "bool"),
        CinField("fgdm_facilitated", "FGDMMeetingFac", "bool"),
        _d("initial_pp_meeting_date", "InitialPPMeetingDate"),
        CinField("review_meetings", "ReviewMeetingsCount", "int"),
        _d("step_decision_date", "StepDecisionDate"),
        CinField("pp_outcome", "PPOutcome"),
        _d("court_application_date", "CourtAppDate"),
        _d("letter_init_cp_date", "LetterInitCPDate"),
    ),
)

TABLES: tuple[CinTable, ...] = (
    CHILDREN,
    CHARACTERISTICS,
    DISABILITIES,
    EPISODES,
    ASSESSMENTS,
    ASSESSMENT_FACTORS,
    CIN_PLANS,
    SECTION_47,
    CP_PLANS,
    CPP_REVIEWS,
    PRE_PROCEEDINGS,
)

# Elements that only exist from a given collection year (year the census ends in).
INTRODUCED = {"Sex": 2025, "PreProceedingsandFGDM": 2026, "CINPlanDates": 2022}
WITHDRAWN = {"GenderCurrent": 2025}
