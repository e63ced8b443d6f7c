"""The URL table, kept apart from the handlers: one blueprint per area of the site, each area's
rules listed together below (its url_prefix is what all its URLs share), so the whole site
reads on a few screens. Endpoints are named ``area.name``, e.g. ``judging.score``.

Handlers are named ``"module.function"`` (a module of this package) and imported on their first
request (Flask's "lazily loading views"), so a process starts without the workbook and PDF
libraries that only a few pages need."""
from __future__ import annotations

from functools import cached_property
from importlib import import_module

from flask import Blueprint, Flask, request
from flask_login import login_required
from werkzeug.routing import IntegerConverter, Rule

from kb.reading import one_reading
from web.auth import role_required
from web.views import MAX_URL_NUMBER

STAFF = ("staff",)
INTAKE = ("staff", "county")


class LazyView:
    """A handler ``web.<module>.<function>``, imported when first called."""

    def __init__(self, target: str):
        module, self.__name__ = target.rsplit(".", 1)
        self.__module__ = f"web.{module}"
        self.__qualname__ = self.__name__

    @cached_property
    def view(self):
        """The handler itself (importing its module on first use)."""
        return getattr(import_module(self.__module__), self.__name__)

    def __call__(self, *args, **kwargs):
        if request.method in ("GET", "HEAD"):  # a page: its year, stages, results read once
            with one_reading():
                return self.view(*args, **kwargs)
        return self.view(*args, **kwargs)


def lazy(target: str) -> LazyView:
    """An open handler, e.g. ``lazy("views.home")``."""
    return LazyView(target)


def signed_in(target: str):
    """A handler for any signed-in user."""
    return login_required(LazyView(target))


def staff(target: str):
    """A handler for staff only."""
    return role_required(*STAFF)(LazyView(target))


def intake(target: str):
    """A handler for staff and county officers (who enter cases)."""
    return role_required(*INTAKE)(LazyView(target))


def judge(target: str):
    """A handler for judges only."""
    return role_required("judge")(LazyView(target))


# area: (url_prefix, [(rule, endpoint, handler, methods)])
AREAS = {
    # -- the public library: the home page and search (views)
    "main": (None, [
        ("/", "home", lazy("views.home"), ["GET"]),
        ("/search", "search", lazy("views.search_page"), ["GET"]),
    ]),
    # -- signing in and out, one's own account (auth, account_views)
    "auth": (None, [
        ("/login", "login", lazy("auth.login"), ["GET", "POST"]),
        ("/logout", "logout", lazy("auth.logout"), ["POST"]),
        ("/account/", "account", signed_in("account_views.own_account"), ["GET"]),
        ("/account/password", "password", signed_in("account_views.own_password"), ["GET", "POST"]),
    ]),
    # -- cases: the list, one case, intake forms and the case-list workbook (views)
    "cases": ("/cases", [
        ("/", "list", lazy("views.case_list"), ["GET"]),
        ("/<int:case_id>", "page", lazy("views.case_page"), ["GET"]),
        ("/new", "new", intake("views.case_new"), ["GET", "POST"]),
        ("/<int:case_id>/edit", "edit", intake("views.case_edit"), ["GET", "POST"]),
        ("/template/<int:year>", "template", intake("views.case_template"), ["GET"]),
        ("/import/<int:year>", "import", intake("views.case_import"), ["GET", "POST"]),
    ]),
    "intake": ("/intake/<int:year>", [
        ("", "page", intake("views.intake_page"), ["GET"]),
        ("/toggle", "toggle", staff("views.intake_toggle"), ["POST"]),
        ("/close", "close", staff("views.intake_close_page"), ["GET"]),
    ]),
    # -- judging: judges' pages, staff's assignments and stages (judging_views)
    "judging": ("/judging", [
        ("/", "home", judge("judging_views.judge_home"), ["GET"]),
        ("/profile", "profile", judge("judging_views.judge_profile_page"), ["GET", "POST"]),
        ("/upload", "scoresheet_upload", judge("judging_views.scoresheet_upload"), ["POST"]),
        ("/<int:year>/<stage_key>/scoresheet", "scoresheet",
         judge("judging_views.scoresheet_download"), ["GET"]),
        ("/assignments/<int:assignment_id>", "score",
         judge("judging_views.score_page"), ["GET", "POST"]),
        ("/assignments/<int:assignment_id>/conflict", "conflict",
         judge("judging_views.conflict_declare"), ["POST"]),
        ("/staff", "staff", staff("judging_views.staff_latest"), ["GET"]),
        ("/<int:year>/", "progress", staff("judging_views.progress_page"), ["GET"]),
        ("/<int:year>/<stage_key>/state", "stage_state",
         staff("judging_views.stage_state"), ["POST"]),
        ("/<int:year>/<stage_key>/close", "stage_close",
         staff("judging_views.stage_close_page"), ["GET"]),
        ("/<int:year>/<stage_key>/submit-all", "submit_all",
         judge("judging_views.submit_all"), ["POST"]),
        ("/<int:year>/<stage_key>/assignments", "assignments",
         staff("judging_views.assignments_page"), ["GET"]),
        ("/<int:year>/<stage_key>/assign", "auto_assign",
         staff("judging_views.auto_assign"), ["POST"]),
        ("/<int:year>/onsite/panel", "panel", staff("judging_views.assign_panel"), ["POST"]),
        ("/assignments/<int:assignment_id>/unassign", "unassign",
         staff("judging_views.remove_assignment"), ["POST"]),
        ("/<int:year>/<stage_key>/scores.xlsx", "scores_table",
         staff("judging_views.scores_table_download"), ["GET"]),
        ("/<int:year>/<stage_key>/scores", "scores_upload",
         staff("judging_views.scores_table_upload"), ["POST"]),
    ]),
    # -- nomination, selection and publication (selection_views)
    "selection": ("/selection/<int:year>", [
        ("/", "page", intake("selection_views.selection_page"), ["GET"]),
        ("/confirm", "confirm", staff("selection_views.confirm"), ["POST"]),
        ("/nominations", "nominate", intake("selection_views.nominate"), ["POST"]),
        ("/cases/<int:case_id>/override", "override", staff("selection_views.override"), ["POST"]),
        ("/publish/confirm", "publish_confirm", staff("selection_views.publish_page"), ["GET"]),
        ("/publish", "publish", staff("selection_views.publish"), ["POST"]),
        ("/results.xlsx", "workbook", staff("selection_views.results_workbook"), ["GET"]),
        ("/stats", "stats", staff("selection_views.stats_page"), ["GET"]),
    ]),
    # -- a stage's selection record, 評分總表 (minutes_views)
    "minutes": ("/selection/<int:year>/minutes/<stage_key>", [
        ("", "page", staff("minutes_views.minutes_page"), ["GET"]),
        ("/session", "session", staff("minutes_views.save_session"), ["POST"]),
        ("/handling", "handling", staff("minutes_views.save_handling"), ["POST"]),
        ("/minutes.<any(pdf, xlsx):fmt>", "download",
         staff("minutes_views.minutes_download"), ["GET"]),
        ("/key.pdf", "key", staff("minutes_views.code_key_download"), ["GET"]),
    ]),
    # -- published results (selection_views)
    "results": ("/results", [
        ("/", "latest", lazy("selection_views.results_latest"), ["GET"]),
        ("/<int:year>", "page", lazy("selection_views.results_page"), ["GET"]),
    ]),
    # -- refined write-ups and the anthology (writeup_views)
    "writeups": (None, [
        ("/cases/<int:case_id>/refined", "edit", intake("writeup_views.edit"), ["GET", "POST"]),
        ("/cases/<int:case_id>/refined.xlsx", "workbook",
         intake("writeup_views.workbook_download"), ["GET"]),
        ("/cases/<int:case_id>/refined/upload", "workbook_upload",
         intake("writeup_views.workbook_upload"), ["POST"]),
        ("/cases/<int:case_id>/refined/photos", "photo_add",
         intake("writeup_views.photo_add"), ["POST"]),
        ("/photos/<int:photo_id>/remove", "photo_remove",
         intake("writeup_views.photo_remove"), ["POST"]),
        ("/cases/<int:case_id>/refined/approve", "approve",
         staff("writeup_views.approve"), ["POST"]),
        ("/photos/<int:photo_id>", "photo", lazy("writeup_views.photo"), ["GET"]),
        ("/results/<int:year>/writeups", "overview", staff("writeup_views.overview"), ["GET"]),
        ("/results/<int:year>/anthology.pdf", "anthology", lazy("writeup_views.anthology"),
         ["GET"]),
    ]),
    # -- speaker registry (speaker_views)
    "speakers": ("/speakers", [
        ("/", "registry", lazy("speaker_views.registry_page"), ["GET"]),
        ("/registry.<any(pdf, xlsx):fmt>", "registry_file", lazy("speaker_views.registry_download"),
         ["GET"]),
        ("/merge", "merge", staff("speaker_views.merge_page"), ["GET", "POST"]),
        ("/unmerge", "unmerge", staff("speaker_views.unmerge"), ["POST"]),
        ("/<key>", "page", lazy("speaker_views.speaker_page"), ["GET"]),
    ]),
    # -- regional programme and certificates (programme_views)
    "programme": ("/programme/<int:year>", [
        ("/", "page", staff("programme_views.programme_page"), ["GET"]),
        ("/template", "template", staff("programme_views.template_save"), ["POST"]),
        ("/venue", "venue", staff("programme_views.venue_save"), ["POST"]),
        ("/cases/<int:case_id>/presenter", "presenter",
         staff("programme_views.presenter_save"), ["POST"]),
        ("/<region>/agenda.<any(pdf, xlsx):fmt>", "agenda",
         staff("programme_views.agenda_download"), ["GET"]),
        ("/certificates.pdf", "certificates",
         staff("programme_views.certificates_download"), ["GET"]),
    ]),
    # -- staff administration: the staff page, the search index, the audit log (admin_views)
    "admin": ("/staff", [
        ("/", "home", staff("admin_views.staff_home"), ["GET"]),
        ("/index", "index_status", staff("admin_views.index_status_page"), ["GET"]),
        ("/index.json", "index_status_json", staff("admin_views.index_status_json"), ["GET"]),
        ("/index/rebuild", "index_rebuild", staff("admin_views.index_rebuild"), ["POST"]),
        ("/audit", "audit", staff("admin_views.audit_page"), ["GET"]),
        ("/audit.xlsx", "audit_download", staff("admin_views.audit_download"), ["GET"]),
    ]),
    # -- the years and their rules (year_views, admin_views)
    "years": ("/staff/years", [
        ("/", "list", staff("year_views.years_page"), ["GET"]),
        ("/new", "create", staff("year_views.year_create"), ["POST"]),
        ("/<int:year>/settings", "settings", staff("year_views.settings_page"), ["GET", "POST"]),
        ("/<int:year>/panel", "panel", staff("admin_views.screening_panel_page"), ["GET", "POST"]),
    ]),
    # -- everybody's accounts, kept by staff (account_views)
    "accounts": ("/staff/accounts", [
        ("/", "list", staff("account_views.accounts_page"), ["GET"]),
        ("/new", "new", staff("account_views.account_new"), ["GET", "POST"]),
        ("/import", "import", staff("account_views.accounts_import"), ["GET", "POST"]),
        ("/template.xlsx", "template", staff("account_views.accounts_template"), ["GET"]),
        ("/<login>", "edit", staff("account_views.account_edit"), ["GET", "POST"]),
        ("/<login>/active", "active", staff("account_views.account_active"), ["POST"]),
        ("/<login>/reset", "reset", staff("account_views.account_reset"), ["POST"]),
    ]),
    # -- digital objects of published cases and their media (object_views)
    "objects": (None, [
        ("/cases/<int:case_id>/object.pdf", "pdf", lazy("object_views.object_pdf"), ["GET"]),
        ("/cases/<int:case_id>/media", "media", intake("object_views.media_page"), ["GET", "POST"]),
        ("/media/<int:media_id>", "media_download", lazy("object_views.media_download"), ["GET"]),
        ("/media/<int:media_id>/remove", "media_remove",
         intake("object_views.media_remove"), ["POST"]),
    ]),
    # -- the library by category (object_views)
    "categories": ("/categories", [
        ("/", "list", lazy("object_views.categories_page"), ["GET"]),
        ("/<name>", "page", lazy("object_views.category_page"), ["GET"]),
    ]),
    # -- participants of the regional forums (participant_views)
    "participants": ("/participants/<int:year>", [
        ("/", "page", staff("participant_views.staff_page"), ["GET"]),
        ("/window", "window", staff("participant_views.window_save"), ["POST"]),
        ("/register", "register", intake("participant_views.register_page"), ["GET", "POST"]),
        ("/template.xlsx", "template", intake("participant_views.template_download"), ["GET"]),
        ("/list.xlsx", "list", staff("participant_views.list_download"), ["GET"]),
        ("/attendance", "attendance", staff("participant_views.attendance_upload"), ["POST"]),
        ("/<region>/certificates.pdf", "certificates",
         staff("participant_views.certificates"), ["GET"]),
        ("/<int:participant_id>/cancel", "cancel", intake("participant_views.cancel"), ["POST"]),
        ("/<int:participant_id>/move", "move", staff("participant_views.move"), ["POST"]),
        ("/<region>/checkin", "checkin", staff("participant_views.checkin_page"), ["GET", "POST"]),
        ("/<region>/<any(signin, cards):kind>.pdf", "printout",
         staff("participant_views.printout"), ["GET"]),
    ]),
    # -- the participant questionnaire: the answering page, staff's pages (survey_views)
    "survey": (None, [
        ("/s/<token>", "answer", lazy("survey_views.answer_page"), ["GET", "POST"]),
        ("/survey/<int:year>/", "results", staff("survey_views.results_page"), ["GET"]),
        ("/survey/<int:year>/copy", "copy", staff("survey_views.copy_page"), ["POST"]),
        ("/survey/<int:year>/edit", "edit", staff("survey_views.edit_page"), ["GET", "POST"]),
        ("/survey/<int:year>/paper", "paper", staff("survey_views.paper_page"), ["GET", "POST"]),
        ("/survey/<int:year>/charts/<key>.svg", "chart", staff("survey_views.chart"), ["GET"]),
        ("/survey/<int:year>/qr/<region>.svg", "qr", staff("survey_views.qr_code"), ["GET"]),
        ("/survey/<int:year>/report.pdf", "report", staff("survey_views.report_pdf"), ["GET"]),
        ("/survey/<int:year>/answers.xlsx", "answers",
         staff("survey_views.answers_download"), ["GET"]),
    ]),
    # -- commendation letters (letter_views)
    "letters": ("/letters/<int:year>", [
        ("/", "page", staff("letter_views.letters_page"), ["GET"]),
        ("/<int:case_id>", "save", staff("letter_views.letter_save"), ["POST"]),
        ("/<int:case_id>.pdf", "download_one", staff("letter_views.letters_download"), ["GET"]),
        ("/letters.pdf", "download_all", staff("letter_views.letters_download"), ["GET"]),
    ]),
    # -- the adoption survey of past benchmark cases (adoption_views)
    "adoption": ("/adoption/<int:year>", [
        ("/", "survey", staff("adoption_views.survey_page"), ["GET"]),
        ("/answer", "answer", intake("adoption_views.answer_page"), ["GET", "POST"]),
        ("/matrix.<any(xlsx, svg):fmt>", "matrix",
         staff("adoption_views.matrix_download"), ["GET"]),
    ]),
    # -- open data (api_views): published cases only
    "api": ("/api/v1", [
        ("/cases", "cases", lazy("api_views.api_cases"), ["GET"]),
        ("/cases/<int:case_id>", "case", lazy("api_views.api_case"), ["GET"]),
    ]),
    "opendata": ("/opendata", [
        ("/", "page", lazy("api_views.opendata_page"), ["GET"]),
        ("/cases.<any(csv, jsonl):fmt>", "dump_all", lazy("api_views.opendata_dump"), ["GET"]),
        ("/<int:year>/cases.<any(csv, jsonl):fmt>", "dump_year", lazy("api_views.opendata_dump"),
         ["GET"]),
        ("/dictionary.csv", "dictionary", lazy("api_views.opendata_dictionary"), ["GET"]),
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
        kwargs.setdefault("max", MAX_URL_NUMBER)
        super().__init__(url_map, *args, **kwargs)


class BuiltOnFirstUse(Rule):
    """Werkzeug's rule, with its two URL builders compiled at its first ``url_for`` rather than
    when the app is made: compiling them for all our rules was most of making the app (a fifth
    of a second of each process's start)."""

    def _compile_builder(self, append_unknown: bool = True):
        compiled = []

        def build(rule, *args, **kwargs):
            if not compiled:
                compiled.append(Rule._compile_builder(rule, append_unknown))
            return compiled[0](rule, *args, **kwargs)
        return build


def register_routes(app: Flask) -> None:
    """Attach every area's blueprint to the app."""
    app.url_rule_class = BuiltOnFirstUse
    app.url_map.converters["int"] = BoundedInteger
    for area in BLUEPRINTS:
        app.register_blueprint(area)
