"""Every page a person can open, by role, kept next to the URL table (web/routes.py).

The browser test (tests/test_every_page_browser.py) opens each page as that role at desktop
and phone width and checks it with axe-core; a test checks that every GET route of the URL table
is here or in FILES. Adding a page is one line: ``(endpoint, url arguments)``. An argument
written ``"{name}"`` is filled from the test's sample data (its SAMPLES names what exists:
judged_year, open_year, stage, case, own_case, writeup_case, assignment, speaker, region,
category, survey_token, judge_login).
"""
from __future__ import annotations

PUBLIC = [
    ("home", {}),
    ("login", {}),
    ("case_list", {}),
    ("case_list", {"year": "{judged_year}"}),
    ("search_page", {"q": "社區"}),
    ("case_page", {"case_id": "{case}"}),
    ("results_latest", {}),
    ("results_page", {"year": "{judged_year}"}),
    ("speaker_registry", {}),
    ("speaker_page", {"key": "{speaker}"}),
    ("categories_page", {}),
    ("category_page", {"name": "{category}"}),
    ("opendata_page", {}),
    ("survey_answer", {"token": "{survey_token}"}),
]

# Pages of each role beyond the public ones (every role also sees the public pages).
PAGES: dict[str, list[tuple[str, dict]]] = {
    "public": PUBLIC,
    "researcher": [("home", {}), ("search_page", {"q": "長照"})],
    "county": [
        ("home", {}),
        ("case_new", {}),
        ("case_edit", {"case_id": "{own_case}"}),
        ("case_page", {"case_id": "{own_case}"}),
        ("intake_page", {"year": "{open_year}"}),
        ("selection_page", {"year": "{judged_year}"}),
        ("writeup_edit", {"case_id": "{writeup_case}"}),
        ("media_page", {"case_id": "{writeup_case}"}),
        ("adoption_answer", {"year": "{open_year}"}),
        ("participants_register", {"year": "{open_year}"}),
        ("own_account", {}),
        ("own_password", {}),
    ],
    "judge": [
        ("home", {}),
        ("judging_home", {}),
        ("judging_profile", {}),
        ("judging_score", {"assignment_id": "{assignment}"}),
        ("own_account", {}),
    ],
    "staff": [
        ("home", {}),
        ("case_list", {"year": "{open_year}"}),
        ("case_page", {"case_id": "{own_case}"}),
        ("case_new", {}),
        ("case_edit", {"case_id": "{own_case}"}),
        ("case_import", {"year": "{open_year}"}),
        ("intake_page", {"year": "{open_year}"}),
        ("intake_close", {"year": "{open_year}"}),
        ("judging_staff", {}),
        ("judging_stage_close", {"year": "{judged_year}", "stage_key": "{stage}"}),
        ("selection_publish_confirm", {"year": "{judged_year}"}),
        ("judging_progress", {"year": "{judged_year}"}),
        ("judging_progress", {"year": "{open_year}"}),
        ("judging_assignments", {"year": "{judged_year}", "stage_key": "{stage}"}),
        ("selection_page", {"year": "{judged_year}"}),
        ("selection_stats", {"year": "{judged_year}"}),
        ("writeup_overview", {"year": "{judged_year}"}),
        ("writeup_edit", {"case_id": "{writeup_case}"}),
        ("speaker_registry", {}),
        ("speaker_merge", {}),
        ("programme_page", {"year": "{judged_year}"}),
        ("minutes_page", {"year": "{judged_year}", "stage_key": "{stage}"}),
        ("staff_home", {}),
        ("years_page", {}),
        ("year_settings_page", {"year": "{judged_year}"}),
        ("screening_panel_page", {"year": "{open_year}"}),
        ("accounts_page", {}),
        ("account_new", {}),
        ("accounts_import", {}),
        ("account_edit", {"login": "{judge_login}"}),
        ("index_status_page", {}),
        ("audit_page", {}),
        ("own_account", {}),
        ("own_password", {}),
        ("media_page", {"case_id": "{writeup_case}"}),
        ("letters_page", {"year": "{judged_year}"}),
        ("adoption_survey", {"year": "{open_year}"}),
        ("participants_page", {"year": "{judged_year}"}),
        ("participants_checkin", {"year": "{judged_year}", "region": "{region}"}),
        ("survey_results", {"year": "{judged_year}"}),
        ("survey_edit", {"year": "{judged_year}"}),
        ("survey_paper", {"year": "{judged_year}"}),
    ],
}

# GET routes that send a file (a workbook, a PDF, a photo), not a page.
FILES = {
    "case_template", "judging_scoresheet", "judging_scores_table", "selection_workbook",
    "writeup_workbook", "writeup_photo", "anthology_download", "speaker_registry_file",
    "programme_agenda", "programme_certificates", "minutes_download", "minutes_key",
    "accounts_template", "index_status_json", "audit_download", "object_pdf", "media_download",
    "participants_template", "participants_list", "participants_certificates",
    "participants_printout", "survey_chart", "survey_qr", "survey_report", "survey_answers",
    "letters_download_one", "letters_download_all", "adoption_matrix", "api_cases", "api_case",
    "opendata_dump_all", "opendata_dump_year", "opendata_dictionary",
}
