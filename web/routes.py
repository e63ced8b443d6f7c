"""The URL table, kept apart from the handlers: one blueprint per area of the site, each area's
rules listed together below (its url_prefix is what all its URLs share), so the whole site
reads on a few screens. Endpoints are named ``area.name``, e.g. ``judging.score``."""
from __future__ import annotations

from flask import Blueprint, Flask
from flask_login import login_required
from werkzeug.routing import IntegerConverter

from web import auth, judging_views, selection_views, speaker_views, views, writeup_views
from web import (account_views, adoption_views, admin_views, api_views, letter_views,
                 minutes_views, object_views, participant_views, programme_views, survey_views,
                 year_views)
from web.auth import role_required

STAFF = ("staff",)
INTAKE = ("staff", "county")

# area: (url_prefix, [(rule, endpoint, handler, methods)])
AREAS = {
    # -- the public library: the home page and search (views)
    "main": (None, [
        ("/", "home", views.home, ["GET"]),
        ("/search", "search", views.search_page, ["GET"]),
    ]),
    # -- signing in and out, one's own account (auth, account_views)
    "auth": (None, [
        ("/login", "login", auth.login, ["GET", "POST"]),
        ("/logout", "logout", auth.logout, ["POST"]),
        ("/account/", "account", login_required(account_views.own_account), ["GET"]),
        ("/account/password", "password", login_required(account_views.own_password),
         ["GET", "POST"]),
    ]),
    # -- cases: the list, one case, intake forms and the case-list workbook (views)
    "cases": ("/cases", [
        ("/", "list", views.case_list, ["GET"]),
        ("/<int:case_id>", "page", views.case_page, ["GET"]),
        ("/new", "new", role_required(*INTAKE)(views.case_new), ["GET", "POST"]),
        ("/<int:case_id>/edit", "edit", role_required(*INTAKE)(views.case_edit), ["GET", "POST"]),
        ("/template/<int:year>", "template", role_required(*INTAKE)(views.case_template), ["GET"]),
        ("/import/<int:year>", "import", role_required(*INTAKE)(views.case_import),
         ["GET", "POST"]),
    ]),
    "intake": ("/intake/<int:year>", [
        ("", "page", role_required(*INTAKE)(views.intake_page), ["GET"]),
        ("/toggle", "toggle", role_required(*STAFF)(views.intake_toggle), ["POST"]),
        ("/close", "close", role_required(*STAFF)(views.intake_close_page), ["GET"]),
    ]),
    # -- judging: judges' pages, staff's assignments and stages (judging_views)
    "judging": ("/judging", [
        ("/", "home", role_required("judge")(judging_views.judge_home), ["GET"]),
        ("/profile", "profile", role_required("judge")(judging_views.judge_profile_page),
         ["GET", "POST"]),
        ("/upload", "scoresheet_upload", role_required("judge")(judging_views.scoresheet_upload),
         ["POST"]),
        ("/<int:year>/<stage_key>/scoresheet", "scoresheet",
         role_required("judge")(judging_views.scoresheet_download), ["GET"]),
        ("/assignments/<int:assignment_id>", "score",
         role_required("judge")(judging_views.score_page), ["GET", "POST"]),
        ("/assignments/<int:assignment_id>/conflict", "conflict",
         role_required("judge")(judging_views.conflict_declare), ["POST"]),
        ("/staff", "staff", role_required(*STAFF)(judging_views.staff_latest), ["GET"]),
        ("/<int:year>/", "progress", role_required(*STAFF)(judging_views.progress_page), ["GET"]),
        ("/<int:year>/<stage_key>/state", "stage_state",
         role_required(*STAFF)(judging_views.stage_state), ["POST"]),
        ("/<int:year>/<stage_key>/close", "stage_close",
         role_required(*STAFF)(judging_views.stage_close_page), ["GET"]),
        ("/<int:year>/<stage_key>/submit-all", "submit_all",
         role_required("judge")(judging_views.submit_all), ["POST"]),
        ("/<int:year>/<stage_key>/assignments", "assignments",
         role_required(*STAFF)(judging_views.assignments_page), ["GET"]),
        ("/<int:year>/<stage_key>/assign", "auto_assign",
         role_required(*STAFF)(judging_views.auto_assign), ["POST"]),
        ("/<int:year>/onsite/panel", "panel", role_required(*STAFF)(judging_views.assign_panel),
         ["POST"]),
        ("/assignments/<int:assignment_id>/unassign", "unassign",
         role_required(*STAFF)(judging_views.remove_assignment), ["POST"]),
        ("/<int:year>/<stage_key>/scores.xlsx", "scores_table",
         role_required(*STAFF)(judging_views.scores_table_download), ["GET"]),
        ("/<int:year>/<stage_key>/scores", "scores_upload",
         role_required(*STAFF)(judging_views.scores_table_upload), ["POST"]),
    ]),
    # -- nomination, selection and publication (selection_views)
    "selection": ("/selection/<int:year>", [
        ("/", "page", role_required(*INTAKE)(selection_views.selection_page), ["GET"]),
        ("/confirm", "confirm", role_required(*STAFF)(selection_views.confirm), ["POST"]),
        ("/nominations", "nominate", role_required(*INTAKE)(selection_views.nominate), ["POST"]),
        ("/cases/<int:case_id>/override", "override",
         role_required(*STAFF)(selection_views.override), ["POST"]),
        ("/publish/confirm", "publish_confirm", role_required(*STAFF)(selection_views.publish_page),
         ["GET"]),
        ("/publish", "publish", role_required(*STAFF)(selection_views.publish), ["POST"]),
        ("/results.xlsx", "workbook", role_required(*STAFF)(selection_views.results_workbook),
         ["GET"]),
        ("/stats", "stats", role_required(*STAFF)(selection_views.stats_page), ["GET"]),
    ]),
    # -- a stage's selection record, 評分總表 (minutes_views)
    "minutes": ("/selection/<int:year>/minutes/<stage_key>", [
        ("", "page", role_required(*STAFF)(minutes_views.minutes_page), ["GET"]),
        ("/session", "session", role_required(*STAFF)(minutes_views.save_session), ["POST"]),
        ("/handling", "handling", role_required(*STAFF)(minutes_views.save_handling), ["POST"]),
        ("/minutes.<any(pdf, xlsx):fmt>", "download",
         role_required(*STAFF)(minutes_views.minutes_download), ["GET"]),
        ("/key.pdf", "key", role_required(*STAFF)(minutes_views.code_key_download), ["GET"]),
    ]),
    # -- published results (selection_views)
    "results": ("/results", [
        ("/", "latest", selection_views.results_latest, ["GET"]),
        ("/<int:year>", "page", selection_views.results_page, ["GET"]),
    ]),
    # -- refined write-ups and the anthology (writeup_views)
    "writeups": (None, [
        ("/cases/<int:case_id>/refined", "edit", role_required(*INTAKE)(writeup_views.edit),
         ["GET", "POST"]),
        ("/cases/<int:case_id>/refined.xlsx", "workbook",
         role_required(*INTAKE)(writeup_views.workbook_download), ["GET"]),
        ("/cases/<int:case_id>/refined/upload", "workbook_upload",
         role_required(*INTAKE)(writeup_views.workbook_upload), ["POST"]),
        ("/cases/<int:case_id>/refined/photos", "photo_add",
         role_required(*INTAKE)(writeup_views.photo_add), ["POST"]),
        ("/photos/<int:photo_id>/remove", "photo_remove",
         role_required(*INTAKE)(writeup_views.photo_remove), ["POST"]),
        ("/cases/<int:case_id>/refined/approve", "approve",
         role_required(*STAFF)(writeup_views.approve), ["POST"]),
        ("/photos/<int:photo_id>", "photo", writeup_views.photo, ["GET"]),
        ("/results/<int:year>/writeups", "overview", role_required(*STAFF)(writeup_views.overview),
         ["GET"]),
        ("/results/<int:year>/anthology.pdf", "anthology", writeup_views.anthology, ["GET"]),
    ]),
    # -- speaker registry (speaker_views)
    "speakers": ("/speakers", [
        ("/", "registry", speaker_views.registry_page, ["GET"]),
        ("/registry.<any(pdf, xlsx):fmt>", "registry_file", speaker_views.registry_download,
         ["GET"]),
        ("/merge", "merge", role_required(*STAFF)(speaker_views.merge_page), ["GET", "POST"]),
        ("/unmerge", "unmerge", role_required(*STAFF)(speaker_views.unmerge), ["POST"]),
        ("/<key>", "page", speaker_views.speaker_page, ["GET"]),
    ]),
    # -- regional programme and certificates (programme_views)
    "programme": ("/programme/<int:year>", [
        ("/", "page", role_required(*STAFF)(programme_views.programme_page), ["GET"]),
        ("/template", "template", role_required(*STAFF)(programme_views.template_save),
         ["POST"]),
        ("/venue", "venue", role_required(*STAFF)(programme_views.venue_save), ["POST"]),
        ("/cases/<int:case_id>/presenter", "presenter",
         role_required(*STAFF)(programme_views.presenter_save), ["POST"]),
        ("/<region>/agenda.<any(pdf, xlsx):fmt>", "agenda",
         role_required(*STAFF)(programme_views.agenda_download), ["GET"]),
        ("/certificates.pdf", "certificates",
         role_required(*STAFF)(programme_views.certificates_download), ["GET"]),
    ]),
    # -- staff administration: the staff page, the search index, the audit log (admin_views)
    "admin": ("/staff", [
        ("/", "home", role_required(*STAFF)(admin_views.staff_home), ["GET"]),
        ("/index", "index_status", role_required(*STAFF)(admin_views.index_status_page), ["GET"]),
        ("/index.json", "index_status_json", role_required(*STAFF)(admin_views.index_status_json),
         ["GET"]),
        ("/index/rebuild", "index_rebuild", role_required(*STAFF)(admin_views.index_rebuild),
         ["POST"]),
        ("/audit", "audit", role_required(*STAFF)(admin_views.audit_page), ["GET"]),
        ("/audit.xlsx", "audit_download", role_required(*STAFF)(admin_views.audit_download),
         ["GET"]),
    ]),
    # -- the years and their rules (year_views, admin_views)
    "years": ("/staff/years", [
        ("/", "list", role_required(*STAFF)(year_views.years_page), ["GET"]),
        ("/new", "create", role_required(*STAFF)(year_views.year_create), ["POST"]),
        ("/<int:year>/settings", "settings", role_required(*STAFF)(year_views.settings_page),
         ["GET", "POST"]),
        ("/<int:year>/panel", "panel", role_required(*STAFF)(admin_views.screening_panel_page),
         ["GET", "POST"]),
    ]),
    # -- everybody's accounts, kept by staff (account_views)
    "accounts": ("/staff/accounts", [
        ("/", "list", role_required(*STAFF)(account_views.accounts_page), ["GET"]),
        ("/new", "new", role_required(*STAFF)(account_views.account_new), ["GET", "POST"]),
        ("/import", "import", role_required(*STAFF)(account_views.accounts_import),
         ["GET", "POST"]),
        ("/template.xlsx", "template", role_required(*STAFF)(account_views.accounts_template),
         ["GET"]),
        ("/<login>", "edit", role_required(*STAFF)(account_views.account_edit), ["GET", "POST"]),
        ("/<login>/active", "active", role_required(*STAFF)(account_views.account_active),
         ["POST"]),
        ("/<login>/reset", "reset", role_required(*STAFF)(account_views.account_reset), ["POST"]),
    ]),
    # -- digital objects of published cases and their media (object_views)
    "objects": (None, [
        ("/cases/<int:case_id>/object.pdf", "pdf", object_views.object_pdf, ["GET"]),
        ("/cases/<int:case_id>/media", "media", role_required(*INTAKE)(object_views.media_page),
         ["GET", "POST"]),
        ("/media/<int:media_id>", "media_download", object_views.media_download, ["GET"]),
        ("/media/<int:media_id>/remove", "media_remove",
         role_required(*INTAKE)(object_views.media_remove), ["POST"]),
    ]),
    # -- the library by category (object_views)
    "categories": ("/categories", [
        ("/", "list", object_views.categories_page, ["GET"]),
        ("/<name>", "page", object_views.category_page, ["GET"]),
    ]),
    # -- participants of the regional forums (participant_views)
    "participants": ("/participants/<int:year>", [
        ("/", "page", role_required(*STAFF)(participant_views.staff_page), ["GET"]),
        ("/window", "window", role_required(*STAFF)(participant_views.window_save), ["POST"]),
        ("/register", "register", role_required(*INTAKE)(participant_views.register_page),
         ["GET", "POST"]),
        ("/template.xlsx", "template", role_required(*INTAKE)(participant_views.template_download),
         ["GET"]),
        ("/list.xlsx", "list", role_required(*STAFF)(participant_views.list_download), ["GET"]),
        ("/attendance", "attendance", role_required(*STAFF)(participant_views.attendance_upload),
         ["POST"]),
        ("/<region>/certificates.pdf", "certificates",
         role_required(*STAFF)(participant_views.certificates), ["GET"]),
        ("/<int:participant_id>/cancel", "cancel", role_required(*INTAKE)(participant_views.cancel),
         ["POST"]),
        ("/<int:participant_id>/move", "move", role_required(*STAFF)(participant_views.move),
         ["POST"]),
        ("/<region>/checkin", "checkin", role_required(*STAFF)(participant_views.checkin_page),
         ["GET", "POST"]),
        ("/<region>/<any(signin, cards):kind>.pdf", "printout",
         role_required(*STAFF)(participant_views.printout), ["GET"]),
    ]),
    # -- the participant questionnaire: the answering page, staff's pages (survey_views)
    "survey": (None, [
        ("/s/<token>", "answer", survey_views.answer_page, ["GET", "POST"]),
        ("/survey/<int:year>/", "results", role_required(*STAFF)(survey_views.results_page),
         ["GET"]),
        ("/survey/<int:year>/copy", "copy", role_required(*STAFF)(survey_views.copy_page),
         ["POST"]),
        ("/survey/<int:year>/edit", "edit", role_required(*STAFF)(survey_views.edit_page),
         ["GET", "POST"]),
        ("/survey/<int:year>/paper", "paper", role_required(*STAFF)(survey_views.paper_page),
         ["GET", "POST"]),
        ("/survey/<int:year>/charts/<key>.svg", "chart", role_required(*STAFF)(survey_views.chart),
         ["GET"]),
        ("/survey/<int:year>/qr/<region>.svg", "qr", role_required(*STAFF)(survey_views.qr_code),
         ["GET"]),
        ("/survey/<int:year>/report.pdf", "report", role_required(*STAFF)(survey_views.report_pdf),
         ["GET"]),
        ("/survey/<int:year>/answers.xlsx", "answers",
         role_required(*STAFF)(survey_views.answers_download), ["GET"]),
    ]),
    # -- commendation letters (letter_views)
    "letters": ("/letters/<int:year>", [
        ("/", "page", role_required(*STAFF)(letter_views.letters_page), ["GET"]),
        ("/<int:case_id>", "save", role_required(*STAFF)(letter_views.letter_save), ["POST"]),
        ("/<int:case_id>.pdf", "download_one", role_required(*STAFF)(letter_views.letters_download),
         ["GET"]),
        ("/letters.pdf", "download_all", role_required(*STAFF)(letter_views.letters_download),
         ["GET"]),
    ]),
    # -- the adoption survey of past benchmark cases (adoption_views)
    "adoption": ("/adoption/<int:year>", [
        ("/", "survey", role_required(*STAFF)(adoption_views.survey_page), ["GET"]),
        ("/answer", "answer", role_required(*INTAKE)(adoption_views.answer_page),
         ["GET", "POST"]),
        ("/matrix.<any(xlsx, svg):fmt>", "matrix",
         role_required(*STAFF)(adoption_views.matrix_download), ["GET"]),
    ]),
    # -- open data (api_views): published cases only
    "api": ("/api/v1", [
        ("/cases", "cases", api_views.api_cases, ["GET"]),
        ("/cases/<int:case_id>", "case", api_views.api_case, ["GET"]),
    ]),
    "opendata": ("/opendata", [
        ("/", "page", api_views.opendata_page, ["GET"]),
        ("/cases.<any(csv, jsonl):fmt>", "dump_all", api_views.opendata_dump, ["GET"]),
        ("/<int:year>/cases.<any(csv, jsonl):fmt>", "dump_year", api_views.opendata_dump,
         ["GET"]),
        ("/dictionary.csv", "dictionary", api_views.opendata_dictionary, ["GET"]),
    ]),
}


def _blueprint(name: str, prefix: str | None, rules: list[tuple]) -> Blueprint:
    area = Blueprint(name, __name__, url_prefix=prefix)
    for rule, endpoint, handler, methods in rules:
        area.add_url_rule(rule, endpoint, handler, methods=methods)
    return area


BLUEPRINTS = [_blueprint(name, prefix, rules) for name, (prefix, rules) in AREAS.items()]


class BoundedInteger(IntegerConverter):
    """``<int:…>`` in our rules: a whole number up to :data:`web.views.MAX_URL_NUMBER`, so a
    bigger one matches no page (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", views.MAX_URL_NUMBER)
        super().__init__(url_map, *args, **kwargs)


def register_routes(app: Flask) -> None:
    """Attach every area's blueprint to the app."""
    app.url_map.converters["int"] = BoundedInteger
    for area in BLUEPRINTS:
        app.register_blueprint(area)
