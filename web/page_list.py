"""Every page a person can open, by role, kept next to the URL table (web/routes.py).

The browser test (tests/test_every_page_browser.py) opens each page as that role at desktop
and phone width and checks it with axe-core; a test checks that every GET route of the URL table
is here or in FILES. Adding a page is one line: ``(endpoint, url arguments)``. An argument
written ``"{name}"`` is filled from the test's sample data (its SAMPLES names what exists:
judged_year, open_year, stage, case, own_case, writeup_case, assignment, speaker, region,
category, survey_token, judge_login).
"""
from __future__ import annotations

JUDGED_YEAR, OPEN_YEAR = 103, 104  # the demo's published year and its year with intake open
# The demo login of each role (a county's is the sample case's county contact).
LOGINS = {"researcher": "researcher", "judge": "judge01", "staff": "staff"}

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


def demo_samples() -> dict:
    """What each page's ``"{name}"`` arguments name, on the demo data (``seeds.demo``, years
    :data:`JUDGED_YEAR` and :data:`OPEN_YEAR` loaded): a published case with a refined
    write-up, a county's own case, a judge's assignment… and every login."""
    from kb.models import Assignment, Case, CaseVersion, Edition, Stage, User
    from kb.speakers import list_speakers
    from kb.survey import survey_links

    judged = Case.select().join(Edition).where(Edition.year == JUDGED_YEAR)
    winner = (judged.join(CaseVersion, on=CaseVersion.case == Case.id)
              .where(CaseVersion.kind == "refined").order_by(Case.id).get())
    own = (Case.select().join(Edition).where((Edition.year == OPEN_YEAR)
                                             & (Case.county == winner.county))
           .order_by(Case.id).get())
    judge = User.get(User.login == LOGINS["judge"])
    assignment = (Assignment.select().join(Stage).join(Edition)
                  .where((Assignment.judge == judge) & (Edition.year == JUDGED_YEAR))
                  .order_by(Assignment.id).get())
    return {"judged_year": JUDGED_YEAR, "open_year": OPEN_YEAR, "stage": "screening",
            "case": winner.id, "own_case": own.id, "writeup_case": winner.id,
            "assignment": assignment.id, "speaker": list_speakers()[0].key,
            "category": winner.category.name, "region": winner.region.name,
            "survey_token": survey_links(JUDGED_YEAR)[winner.region.name],
            "judge_login": LOGINS["judge"],
            "county_login": f"county-{winner.county.code.lower()}",
            "logins": frozenset(login for (login,) in User.select(User.login).tuples())}


def role_login(role: str, samples: dict) -> str | None:
    """The demo login a role signs in with (None for the public)."""
    return samples["county_login"] if role == "county" else LOGINS.get(role)


def filled(args: dict, samples: dict) -> dict:
    """A page's URL arguments with its ``"{name}"`` values taken from ``samples``."""
    return {key: samples[value[1:-1]] if str(value).startswith("{") else value
            for key, value in args.items()}
