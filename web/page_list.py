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
    ("main.home", {}),
    ("auth.login", {}),
    ("cases.list", {}),
    ("cases.list", {"year": "{judged_year}"}),
    ("main.search", {"q": "社區"}),
    ("cases.page", {"case_id": "{case}"}),
    ("results.latest", {}),
    ("results.page", {"year": "{judged_year}"}),
    ("speakers.registry", {}),
    ("speakers.page", {"key": "{speaker}"}),
    ("categories.list", {}),
    ("categories.page", {"name": "{category}"}),
    ("opendata.page", {}),
    ("survey.answer", {"token": "{survey_token}"}),
]

# Pages of each role beyond the public ones (every role also sees the public pages).
PAGES: dict[str, list[tuple[str, dict]]] = {
    "public": PUBLIC,
    "researcher": [("main.home", {}), ("main.search", {"q": "長照"})],
    "county": [
        ("main.home", {}),
        ("cases.new", {}),
        ("cases.edit", {"case_id": "{own_case}"}),
        ("cases.page", {"case_id": "{own_case}"}),
        ("intake.page", {"year": "{open_year}"}),
        ("selection.page", {"year": "{judged_year}"}),
        ("writeups.edit", {"case_id": "{writeup_case}"}),
        ("objects.media", {"case_id": "{writeup_case}"}),
        ("adoption.answer", {"year": "{open_year}"}),
        ("participants.register", {"year": "{open_year}"}),
        ("auth.account", {}),
        ("auth.password", {}),
    ],
    "judge": [
        ("main.home", {}),
        ("judging.home", {}),
        ("judging.profile", {}),
        ("judging.score", {"assignment_id": "{assignment}"}),
        ("auth.account", {}),
    ],
    "staff": [
        ("main.home", {}),
        ("cases.list", {"year": "{open_year}"}),
        ("cases.page", {"case_id": "{own_case}"}),
        ("cases.new", {}),
        ("cases.edit", {"case_id": "{own_case}"}),
        ("cases.import", {"year": "{open_year}"}),
        ("intake.page", {"year": "{open_year}"}),
        ("intake.close", {"year": "{open_year}"}),
        ("judging.staff", {}),
        ("judging.stage_close", {"year": "{judged_year}", "stage_key": "{stage}"}),
        ("selection.publish_confirm", {"year": "{judged_year}"}),
        ("judging.progress", {"year": "{judged_year}"}),
        ("judging.progress", {"year": "{open_year}"}),
        ("judging.assignments", {"year": "{judged_year}", "stage_key": "{stage}"}),
        ("selection.page", {"year": "{judged_year}"}),
        ("selection.stats", {"year": "{judged_year}"}),
        ("writeups.overview", {"year": "{judged_year}"}),
        ("writeups.edit", {"case_id": "{writeup_case}"}),
        ("speakers.registry", {}),
        ("speakers.merge", {}),
        ("programme.page", {"year": "{judged_year}"}),
        ("minutes.page", {"year": "{judged_year}", "stage_key": "{stage}"}),
        ("admin.home", {}),
        ("years.list", {}),
        ("years.settings", {"year": "{judged_year}"}),
        ("years.panel", {"year": "{open_year}"}),
        ("accounts.list", {}),
        ("accounts.new", {}),
        ("accounts.import", {}),
        ("accounts.edit", {"login": "{judge_login}"}),
        ("admin.index_status", {}),
        ("admin.audit", {}),
        ("auth.account", {}),
        ("auth.password", {}),
        ("objects.media", {"case_id": "{writeup_case}"}),
        ("letters.page", {"year": "{judged_year}"}),
        ("adoption.survey", {"year": "{open_year}"}),
        ("participants.page", {"year": "{judged_year}"}),
        ("participants.checkin", {"year": "{judged_year}", "region": "{region}"}),
        ("survey.results", {"year": "{judged_year}"}),
        ("survey.edit", {"year": "{judged_year}"}),
        ("survey.paper", {"year": "{judged_year}"}),
    ],
}

# GET routes that send a file (a workbook, a PDF, a photo), not a page.
FILES = {
    "cases.template", "judging.scoresheet", "judging.scores_table", "selection.workbook",
    "writeups.workbook", "writeups.photo", "writeups.anthology", "speakers.registry_file",
    "programme.agenda", "programme.certificates", "minutes.download", "minutes.key",
    "accounts.template", "admin.index_status_json", "admin.audit_download", "objects.pdf",
    "objects.media_download",
    "participants.template", "participants.list", "participants.certificates",
    "participants.printout", "survey.chart", "survey.qr", "survey.report", "survey.answers",
    "letters.download_one", "letters.download_all", "adoption.matrix", "api.cases", "api.case",
    "opendata.dump_all", "opendata.dump_year", "opendata.dictionary",
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
