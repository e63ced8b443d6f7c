"""The URL table, kept apart from the handlers so the whole site reads on one screen."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from web import auth, judging_views, selection_views, speaker_views, views, writeup_views
from web import programme_views
from web.auth import role_required

STAFF = ("staff",)
INTAKE = ("staff", "county")

# (rule, endpoint, handler, methods)
ROUTES = [
    ("/", "home", views.home, ["GET"]),
    ("/login", "login", auth.login, ["GET", "POST"]),
    ("/logout", "logout", auth.logout, ["POST"]),
    ("/cases/", "case_list", views.case_list, ["GET"]),
    ("/search", "search_page", views.search_page, ["GET"]),
    ("/cases/<int:case_id>", "case_page", views.case_page, ["GET"]),
    ("/cases/new", "case_new", role_required(*INTAKE)(views.case_new), ["GET", "POST"]),
    ("/cases/<int:case_id>/edit", "case_edit", role_required(*INTAKE)(views.case_edit),
     ["GET", "POST"]),
    ("/cases/template/<int:year>", "case_template", role_required(*INTAKE)(views.case_template),
     ["GET"]),
    ("/cases/import/<int:year>", "case_import", role_required(*STAFF)(views.case_import),
     ["GET", "POST"]),
    ("/intake/<int:year>", "intake_page", role_required(*INTAKE)(views.intake_page), ["GET"]),
    ("/intake/<int:year>/toggle", "intake_toggle", role_required(*STAFF)(views.intake_toggle),
     ["POST"]),
    ("/judging/", "judging_home", role_required("judge")(judging_views.judge_home), ["GET"]),
    ("/judging/profile", "judging_profile", role_required("judge")(judging_views.judge_profile_page),
     ["GET", "POST"]),
    ("/judging/upload", "judging_scoresheet_upload",
     role_required("judge")(judging_views.scoresheet_upload), ["POST"]),
    ("/judging/<int:year>/<stage_key>/scoresheet", "judging_scoresheet",
     role_required("judge")(judging_views.scoresheet_download), ["GET"]),
    ("/judging/assignments/<int:assignment_id>", "judging_score",
     role_required("judge")(judging_views.score_page), ["GET", "POST"]),
    ("/judging/assignments/<int:assignment_id>/conflict", "judging_conflict",
     role_required("judge")(judging_views.conflict_declare), ["POST"]),
    ("/judging/staff", "judging_staff", role_required(*STAFF)(judging_views.staff_latest), ["GET"]),
    ("/judging/<int:year>/", "judging_progress", role_required(*STAFF)(judging_views.progress_page),
     ["GET"]),
    ("/judging/<int:year>/<stage_key>/state", "judging_stage_state",
     role_required(*STAFF)(judging_views.stage_state), ["POST"]),
    ("/judging/<int:year>/<stage_key>/assignments", "judging_assignments",
     role_required(*STAFF)(judging_views.assignments_page), ["GET"]),
    ("/judging/<int:year>/<stage_key>/assign", "judging_auto_assign",
     role_required(*STAFF)(judging_views.auto_assign), ["POST"]),
    ("/judging/<int:year>/onsite/panel", "judging_panel",
     role_required(*STAFF)(judging_views.assign_panel), ["POST"]),
    ("/judging/assignments/<int:assignment_id>/unassign", "judging_unassign",
     role_required(*STAFF)(judging_views.remove_assignment), ["POST"]),
    ("/judging/<int:year>/<stage_key>/scores.xlsx", "judging_scores_table",
     role_required(*STAFF)(judging_views.scores_table_download), ["GET"]),
    ("/judging/<int:year>/<stage_key>/scores", "judging_scores_upload",
     role_required(*STAFF)(judging_views.scores_table_upload), ["POST"]),
    ("/selection/<int:year>/", "selection_page",
     role_required(*INTAKE)(selection_views.selection_page), ["GET"]),
    ("/selection/<int:year>/confirm", "selection_confirm",
     role_required(*STAFF)(selection_views.confirm), ["POST"]),
    ("/selection/<int:year>/nominations", "selection_nominate",
     role_required(*INTAKE)(selection_views.nominate), ["POST"]),
    ("/selection/<int:year>/cases/<int:case_id>/override", "selection_override",
     role_required(*STAFF)(selection_views.override), ["POST"]),
    ("/selection/<int:year>/publish", "selection_publish",
     role_required(*STAFF)(selection_views.publish), ["POST"]),
    ("/selection/<int:year>/results.xlsx", "selection_workbook",
     role_required(*STAFF)(selection_views.results_workbook), ["GET"]),
    ("/selection/<int:year>/stats", "selection_stats",
     role_required(*STAFF)(selection_views.stats_page), ["GET"]),
    ("/results/", "results_latest", selection_views.results_latest, ["GET"]),
    ("/results/<int:year>", "results_page", selection_views.results_page, ["GET"]),
    # -- refined write-ups and the anthology (writeup_views)
    ("/cases/<int:case_id>/refined", "writeup_edit", role_required(*INTAKE)(writeup_views.edit),
     ["GET", "POST"]),
    ("/cases/<int:case_id>/refined.xlsx", "writeup_workbook",
     role_required(*INTAKE)(writeup_views.workbook_download), ["GET"]),
    ("/cases/<int:case_id>/refined/upload", "writeup_workbook_upload",
     role_required(*INTAKE)(writeup_views.workbook_upload), ["POST"]),
    ("/cases/<int:case_id>/refined/photos", "writeup_photo_add",
     role_required(*INTAKE)(writeup_views.photo_add), ["POST"]),
    ("/photos/<int:photo_id>/remove", "writeup_photo_remove",
     role_required(*INTAKE)(writeup_views.photo_remove), ["POST"]),
    ("/cases/<int:case_id>/refined/approve", "writeup_approve",
     role_required(*STAFF)(writeup_views.approve), ["POST"]),
    ("/photos/<int:photo_id>", "writeup_photo", writeup_views.photo, ["GET"]),
    ("/results/<int:year>/writeups", "writeup_overview",
     role_required(*STAFF)(writeup_views.overview), ["GET"]),
    ("/results/<int:year>/anthology.pdf", "anthology_download", writeup_views.anthology, ["GET"]),
    # -- speaker registry (speaker_views)
    ("/speakers/", "speaker_registry", speaker_views.registry_page, ["GET"]),
    ("/speakers/registry.<any(pdf, xlsx):fmt>", "speaker_registry_file",
     speaker_views.registry_download, ["GET"]),
    ("/speakers/merge", "speaker_merge", role_required(*STAFF)(speaker_views.merge_page),
     ["GET", "POST"]),
    ("/speakers/unmerge", "speaker_unmerge", role_required(*STAFF)(speaker_views.unmerge),
     ["POST"]),
    ("/speakers/<key>", "speaker_page", speaker_views.speaker_page, ["GET"]),
    # -- regional programme and certificates (programme_views)
    ("/programme/<int:year>/", "programme_page",
     role_required(*STAFF)(programme_views.programme_page), ["GET"]),
    ("/programme/<int:year>/template", "programme_template",
     role_required(*STAFF)(programme_views.template_save), ["POST"]),
    ("/programme/<int:year>/venue", "programme_venue",
     role_required(*STAFF)(programme_views.venue_save), ["POST"]),
    ("/programme/<int:year>/cases/<int:case_id>/presenter", "programme_presenter",
     role_required(*STAFF)(programme_views.presenter_save), ["POST"]),
    ("/programme/<int:year>/<region>/agenda.<any(pdf, xlsx):fmt>", "programme_agenda",
     role_required(*STAFF)(programme_views.agenda_download), ["GET"]),
    ("/programme/<int:year>/certificates.pdf", "programme_certificates",
     role_required(*STAFF)(programme_views.certificates_download), ["GET"]),
]


class BoundedInteger(IntegerConverter):
    """``<int:…>`` in our rules: a whole number up to :data:`web.views.MAX_URL_NUMBER`, so a
    bigger one matches no page (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", views.MAX_URL_NUMBER)
        super().__init__(url_map, *args, **kwargs)


def register_routes(app: Flask) -> None:
    """Attach every route to the app."""
    app.url_map.converters["int"] = BoundedInteger
    for rule, endpoint, handler, methods in ROUTES:
        app.add_url_rule(rule, endpoint, handler, methods=methods)
