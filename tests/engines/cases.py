"""The inline stores the engine spec tests run on: every cohort edge case, in a few children.

Two local authorities of the No Wrong Door study: Rochdale (354, go-live 2020-04-01, returns up
to March 2024) and Norfolk (926, go-live 2021-06-01, returns only up to June 2022, so its
follow-up is cut short by the end of its data). Trial period 2019-10-01..2022-03-31, ages
12-17, outcome within 18 months, follow-up ends at 18.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward.returns.npd.store_tables import NPD_SOURCE
from steward.store import ResearchStore
from steward.study.definition import StudyDefinition, load_study

from .inline_store import put

D = dt.date
ROCH, NORF = "354", "926"
ROCH_END, NORF_END = D(2024, 3, 1), D(2022, 6, 1)


def study(sources: str) -> StudyDefinition:
    nwd = load_study("no_wrong_door")
    las = [la for la in nwd.local_authorities if la.code in (ROCH, NORF)]
    return nwd.model_copy(update={"local_authorities": las, "sources": sources})


def _ref(pid: str, when: D | None, birth: str | None, **extra: Any) -> dict[str, Any]:
    row = {"child_pid": pid, "referral_pid": f"r_{pid}", "referral_date": when,
           "birth_year_month": birth, "gender": "F", "ethnicity": "WBRI", "disabled": False,
           "uasc": False, "referral_nfa": False, "previous_cpp": 0}  # fmt: skip
    return row | extra


CPP_REFERRAL = D(2020, 11, 20)
CPP_366_REFERRAL = D(2021, 7, 1)


def evaluation_store(store: ResearchStore) -> None:
    """DR1-DR3 returns (and the census, SSDA903 and NPD rows linkage and outcomes read)."""
    put(store, "dr2_referrals", [
        # ties on the first referral date count once (the lowest referral id), then a later one
        _ref("tie", D(2020, 5, 10), "2008-01", referral_pid="r_tie_b"),
        _ref("tie", D(2020, 5, 10), "2008-01", referral_pid="r_tie_a"),
        _ref("tie", D(2020, 9, 1), "2008-01", referral_pid="r_tie_c"),
        _ref("dobafter", D(2021, 3, 1), "2021-05"),
        _ref("nodate", None, "2008-06", referral_pid="r_nodate_0"),
        _ref("nodate", D(2020, 6, 1), "2008-06"),  # exactly 12 years 0 months
        _ref("nodob", D(2020, 7, 1), None),
        _ref("flagged", D(2020, 8, 1), "2008-01"),
        _ref("eighteen", D(2021, 6, 15), "2003-10", disabled=True),  # 18 on 2021-10-01
        _ref("horizon", D(2020, 10, 31), "2008-03", uasc=True, gender="M"),
        _ref("winstart", D(2019, 10, 1), "2006-01", previous_cpp=2),
        _ref("age11", D(2021, 1, 15), "2009-02"),  # 11 years 11 months
        _ref("age17", D(2021, 1, 15), "2003-02"),  # 17 years 11 months
        _ref("notfirst", D(2019, 6, 1), "2007-01"),  # first referral before the window
        _ref("notfirst", D(2020, 1, 10), "2007-01", referral_pid="r_notfirst_2"),
        _ref("cpp", CPP_REFERRAL, "2008-05", gender="U", ethnicity=None, previous_cpp=3,
             referral_nfa=True),
        _ref("reref", D(2020, 2, 3), "2007-01", disabled=None),
        _ref("reref", D(2021, 6, 30), "2007-01", referral_pid="r_reref_2"),
        _ref("reref2", D(2020, 2, 3), "2007-01"),
        _ref("reref2", D(2021, 7, 1), "2007-01", referral_pid="r_reref2_2"),
    ], la_code=ROCH, month=ROCH_END)  # fmt: skip
    put(store, "dr2_referrals", [
        _ref("golive", D(2021, 6, 1), "2009-06"),
        _ref("cross45", D(2021, 4, 17), "2009-01", ethnicity="ABAN"),
        _ref("cross46", D(2021, 4, 16), "2009-01", ethnicity="ZZZZ"),
        _ref("winend", D(2022, 3, 31), "2006-01"),
        _ref("winafter", D(2022, 4, 1), "2006-01"),
        _ref("cpp366", CPP_366_REFERRAL, "2008-05"),
        # the same pseudonym text from another LA is another child
        _ref("tie", D(2021, 8, 2), "2008-01"),
    ], la_code=NORF, month=NORF_END)  # fmt: skip
    put(store, "dr2_cla", [
        {"child_pid": "tie", "cla_start_date": D(2020, 5, 10)},  # on the referral date
        {"child_pid": "golive", "cla_start_date": D(2020, 1, 1)},  # before the referral
    ], la_code=ROCH, month=ROCH_END)  # fmt: skip
    put(store, "dr2_cla", [
        {"child_pid": "golive", "cla_start_date": D(2021, 12, 24)},
        {"child_pid": "cross45", "cla_start_date": D(2022, 7, 1)},  # after Norfolk's data end
    ], la_code=NORF, month=NORF_END)  # fmt: skip
    put(store, "dr3_periods_of_care", [
        {"child_pid": "horizon", "poc_start_date": D(2022, 4, 30)},  # 18 months, to the day
        {"child_pid": "winstart", "poc_start_date": D(2021, 4, 1)},
        {"child_pid": "winstart", "poc_start_date": D(2020, 2, 1)},
        {"child_pid": "tie", "poc_start_date": D(2020, 5, 10)},  # also in DR2: counted once
    ], la_code=ROCH, month=ROCH_END, return_type="dr3")  # fmt: skip
    put(store, "dr2_cp", [
        {"child_pid": "cpp", "cpp_start_date": CPP_REFERRAL - dt.timedelta(365)},
        {"child_pid": "cpp", "cpp_start_date": CPP_REFERRAL + dt.timedelta(45)},
        {"child_pid": "cpp", "cpp_start_date": D(2022, 5, 20)},  # 18 months on, to the day
        {"child_pid": "cpp", "cpp_start_date": D(2022, 5, 21)},
        {"child_pid": "tie", "cpp_start_date": None},
    ], la_code=ROCH, month=ROCH_END)  # fmt: skip
    put(store, "dr2_cp", [
        {"child_pid": "cpp366", "cpp_start_date": CPP_366_REFERRAL - dt.timedelta(366)},
        {"child_pid": "cpp366", "cpp_start_date": CPP_366_REFERRAL + dt.timedelta(46)},
    ], la_code=NORF, month=NORF_END)  # fmt: skip
    put(store, "dr1_monthly", [
        {"month": D(2020, 5, 1), "cla_rate_per_10k": 71.5, "prop_white_british": 0.75,
         "sw_turnover_rate_fte": 0.125},
        {"month": D(2020, 11, 1), "cla_rate_per_10k": 70.0},
    ], la_code=ROCH, month=ROCH_END, return_type="dr1")  # fmt: skip
    put(store, "dr3_cin_closures", [
        {"child_pid": "reref", "referral_pid": "r_reref", "closure_date": D(2020, 6, 30)},
        {"child_pid": "reref2", "referral_pid": "r_reref2", "closure_date": D(2020, 6, 30)},
        {"child_pid": "tie", "referral_pid": "r_tie_b", "closure_date": D(2020, 6, 1)},
    ], la_code=ROCH, month=ROCH_END, return_type="dr3")  # fmt: skip
    put(store, "dr3_neet", [
        {"child_pid": "age17", "activity_date": D(2021, 3, 1), "age_months_at_activity": 217,
         "main_activity": "NEET_AVAIL"},
        {"child_pid": "age17", "activity_date": D(2021, 5, 1), "age_months_at_activity": 219,
         "main_activity": "EET"},
        {"child_pid": "eighteen", "activity_date": D(2021, 9, 1), "age_months_at_activity": 215,
         "main_activity": "NEET_UNAVAIL"},
        {"child_pid": "cpp", "activity_date": D(2021, 9, 1), "age_months_at_activity": 159,
         "main_activity": "NEET_UNAVAIL"},  # too young to count
    ], la_code=ROCH, month=ROCH_END, return_type="dr3")  # fmt: skip
    census: dict[str, Any] = {"la_code": ROCH, "month": ROCH_END, "return_type": "cin"}
    put(store, "cin_children", [
        {"child_pid": "tie", "upn_pid": "u_tie", "birth_year_month": "2008-01", "gender": "F"},
        {"child_pid": "cpp", "upn_unknown": "UN2"},
        {"child_pid": "horizon", "upn_pid": "u_horizon", "birth_year_month": "2008-04"},
    ], **census)  # fmt: skip
    put(store, "cin_cp_plans", [
        {"child_pid": "cpp", "cpp_start_date": CPP_REFERRAL + dt.timedelta(10)},
        {"child_pid": "tie", "cpp_start_date": D(2020, 6, 1), "cpp_end_date": D(2020, 8, 1)},
        {"child_pid": "tie", "cpp_start_date": D(2021, 1, 1), "cpp_end_date": D(2023, 1, 1)},
    ], **census)  # fmt: skip
    put(store, "cin_plans", [
        {"child_pid": "tie", "cin_plan_start_date": D(2020, 5, 10),
         "cin_plan_end_date": D(2020, 5, 31)},
    ], **census)  # fmt: skip
    put(store, "cin_pre_proceedings", [
        {"child_pid": "horizon", "referral_date": D(2020, 10, 31),
         "pp_start_date": D(2021, 1, 4), "court_application_date": D(2021, 3, 1)},
    ], **census)  # fmt: skip
    put(store, "s903_episodes", [
        {"child_pid": "winstart", "episode_start_date": D(2020, 2, 1), "legal_status": "C1"},
        {"child_pid": "golive", "episode_start_date": D(2021, 12, 24), "legal_status": "V2"},
    ], la_code=ROCH, month=ROCH_END, return_type="ssda903")  # fmt: skip
    put(store, "s903_header", [
        {"child_pid": "winstart", "upn_pid": "u_winstart", "sex": "2"},
    ], la_code=ROCH, month=ROCH_END, return_type="ssda903")  # fmt: skip
    npd: dict[str, Any] = {"la_code": NPD_SOURCE, "month": D(2023, 8, 1), "return_type": "npd"}
    put(store, "npd_pmr_lookup", [
        {"pmr": "P1", "upn_pid": "u_tie"}, {"pmr": "P2", "upn_pid": "u_winstart"},
    ], **npd)  # fmt: skip
    put(store, "npd_absence", [
        {"pmr": "P1", "academic_year": 2020, "term": "autumn", "sessions_possible": 150,
         "overall_absence": 12},
        {"pmr": "P1", "academic_year": 2020, "term": "spring", "sessions_possible": 150,
         "overall_absence": 3},
        {"pmr": "P2", "academic_year": 2020, "term": "autumn", "sessions_possible": 150,
         "overall_absence": 30},
    ], **npd)  # fmt: skip
    store.flag_subject("flagged", "restricted", request_id="REQ-1")


def _child(pid: str, birth: str | None, **extra: Any) -> dict[str, Any]:
    return {"child_pid": pid, "birth_year_month": birth, "gender": "F", "ethnicity": "WBRI"} | extra


def _episode(pid: str, when: D | None, **extra: Any) -> dict[str, Any]:
    return {"child_pid": pid, "referral_date": when, "referral_nfa": False} | extra


def statutory_store(store: ResearchStore) -> None:
    """CIN census and SSDA903 returns only, as a national study reads them."""
    cin: dict[str, Any] = {"la_code": ROCH, "month": ROCH_END, "return_type": "cin"}
    put(store, "cin_children", [
        _child("two", "2008-01"), _child("dis", "2008-01"), _child("none", "2008-01"),
        _child("uasc", "2005-06", gender="M", ethnicity="ZZZZ"), _child("prev", "2007-02"),
        _child("dobafter", "2021-05"), _child("flagged", "2008-01"), _child("care", "2008-01"),
        _child("nulldate", "2008-01"), _child("reref", "2007-01", gender="U"),
        _child("eighteen", "2003-10"),
    ], **cin)  # fmt: skip
    put(store, "cin_episodes", [
        _episode("two", D(2020, 9, 1)),
        _episode("two", D(2020, 5, 10), referral_nfa=True),
        _episode("dis", D(2020, 6, 1)),
        _episode("none", D(2020, 6, 1)),
        _episode("uasc", D(2020, 7, 1)),
        _episode("prev", D(2020, 3, 1)),
        _episode("nochild", D(2020, 3, 1)),  # no census child record: no birth month
        _episode("dobafter", D(2021, 3, 1)),
        _episode("flagged", D(2020, 8, 1)),
        _episode("care", D(2020, 6, 1)),
        _episode("nulldate", None),
        _episode("nulldate", D(2021, 2, 2)),
        _episode("reref", D(2020, 5, 1), closure_date=D(2020, 8, 1)),
        _episode("reref", D(2021, 8, 1)),  # exactly 12 months after the closure
        _episode("eighteen", D(2021, 6, 15)),
    ], **cin)  # fmt: skip
    put(store, "cin_disabilities", [
        {"child_pid": "dis", "disability": "NONE"}, {"child_pid": "dis", "disability": "MOB"},
        {"child_pid": "none", "disability": "NONE"},
    ], **cin)  # fmt: skip
    put(store, "cin_cp_plans", [
        {"child_pid": "prev", "cpp_start_date": D(2018, 1, 1), "cpp_end_date": D(2018, 6, 1)},
        {"child_pid": "prev", "cpp_start_date": D(2019, 1, 1), "cpp_end_date": D(2019, 6, 1)},
        {"child_pid": "prev", "cpp_start_date": D(2020, 4, 1)},  # open, 31 days after
        {"child_pid": "care", "cpp_start_date": D(2020, 6, 1), "cpp_end_date": D(2020, 9, 1)},
    ], **cin)  # fmt: skip
    put(store, "cin_plans", [
        {"child_pid": "two", "cin_plan_start_date": D(2020, 6, 1)},
    ], **cin)  # fmt: skip
    put(store, "cin_children", [
        _child("golive", "2009-06"), _child("winend", "2006-01"), _child("tie", "2008-01"),
    ], la_code=NORF, month=NORF_END, return_type="cin")  # fmt: skip
    put(store, "cin_episodes", [
        _episode("golive", D(2021, 6, 1)), _episode("winend", D(2022, 3, 31)),
        _episode("tie", D(2021, 8, 2)),
    ], la_code=NORF, month=NORF_END, return_type="cin")  # fmt: skip
    s903: dict[str, Any] = {"la_code": ROCH, "month": ROCH_END, "return_type": "ssda903"}
    put(store, "s903_periods_of_care", [
        {"child_pid": "care", "period_no": 1, "period_start": D(2021, 1, 1)},
        {"child_pid": "two", "period_no": 1, "period_start": D(2020, 5, 10)},
        {"child_pid": "uasc", "period_no": 1, "period_start": D(2022, 1, 1)},  # after 18 months
    ], **s903)  # fmt: skip
    put(store, "s903_uasc", [{"child_pid": "uasc", "birth_year_month": "2005-06"}], **s903)
    put(store, "s903_episodes", [
        {"child_pid": "care", "episode_start_date": D(2021, 1, 1), "legal_status": "C1"},
    ], **s903)  # fmt: skip
    put(store, "s903_periods_of_care", [
        {"child_pid": "golive", "period_no": 1, "period_start": D(2022, 7, 1)},
    ], la_code=NORF, month=NORF_END, return_type="ssda903")  # fmt: skip
    store.flag_subject("flagged", "objected", request_id="REQ-2")


def statutory_store_without_uasc(store: ResearchStore) -> None:
    """As :func:`statutory_store`, in a store that holds no SSDA903 UASC table at all."""
    statutory_store(store)
    store.con.execute("DROP VIEW s903_uasc_current")
