"""Where each policy default comes from (shown beside the number)."""

POLICY_SOURCES: dict[str, str] = {
    "check_interval_general_minutes": "Texas 37 TAC 275.1",
    "check_interval_special_minutes": "Texas 37 TAC 275.1",
    "check_interval_suicide_watch_minutes": "NCCHC",
    "constant_observation_log_minutes": "NCCHC, PREA RC",
    "restraint_check_minutes": "Texas 37 TAC 273.6",
    "restraint_max_minutes_without_approval": "Texas 37 TAC 273.6",
    "solitary_hours_per_day": "Mandela Rule 44",
    "prolonged_solitary_alert_day": "Mandela Rules 43-44",
    "prolonged_solitary_breach_day": "Mandela Rules 43-44",
    "juvenile_adult_hold_hours": "JJDPA; PREA 115.14",
    "outdoor_exercise_minutes_per_day": "Mandela Rule 23",
    "prea_screening_hours": "28 CFR 115.41",
    "prea_reassessment_days": "28 CFR 115.41",
    "health_assessment_days": "NCCHC",
    "formal_counts_per_day": "Fresno D-300, CDCR",
    "visit_length_minutes": "Mesa Co., Fresno Co.",
    "visits_per_day": "Mesa Co., Fresno Co.",
    "visitors_per_visit": "Mesa Co., Fresno Co.",
    "request_answer_days": "LASD",
    "officer_moves_without_approval": "local policy",
}
