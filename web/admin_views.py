"""Staff pages for running the year: the hub, the screening panel, the search index state and
its rebuild, and the audit trail (filter, page, export)."""
from __future__ import annotations

import threading

from flask import flash, jsonify, redirect, render_template, request, url_for

from exports.audit_workbook import build_audit_workbook, change_text
from kb.audit import AUDIT_EXPORT_LIMIT, audit_choices, audit_dicts, find_audit
from kb.conflicts import active_judges, judge_profiles
from kb.editions import edition_years, get_edition, latest_edition
from kb.errors import ValidationError
from kb.judges import screening_panel, set_screening_panel
from kb.models import Case
from kb.rocdate import roc_time
from kb.search import case_search
from web.downloads import send_download
from web.auth import current_actor

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTION_NAMES = {
    "create_edition": "建立年度", "replace_settings": "變更年度設定", "open_intake": "開放收件",
    "close_intake": "截止收件", "add_user": "新增帳號", "update_user": "修改帳號",
    "deactivate_user": "停用帳號", "reactivate_user": "重新啟用帳號", "reset_password": "重設密碼",
    "set_password": "設定密碼", "change_own_password": "變更自己的密碼",
    "set_judge_profile": "修改評審資料", "set_screening_panel": "設定書面篩選評審名單",
    "assign": "指派評審", "unassign": "取消指派", "withdraw_assignment": "撤回指派（利益迴避）",
    "declare_conflict": "聲明利益迴避", "open_stage": "開放評分", "close_stage": "關閉評分",
    "reopen_stage": "重新開放評分", "scores_web": "評分（網頁）", "scores_sheet": "評分（評分表）",
    "scores_table": "評分（評分總表）", "create_case": "新增案例", "update_case": "修改案例",
    "nominate": "推薦出席分區評選", "override_outcome": "裁定評選結果",
    "publish_results": "公布評選結果", "save_refined": "儲存精進案例", "approve_refined": "核定精進案例",
    "add_photo": "新增照片", "remove_photo": "移除照片", "merge_speakers": "合併種籽師資",
    "unmerge_speaker": "取消合併種籽師資", "save_programme_template": "儲存議程範本",
    "save_programme_venue": "儲存分區場地", "set_presenter": "設定發表人",
    "add_media": "新增數位物件", "remove_media": "移除數位物件", "record_adoptions": "填寫歷年案例應用調查",
    "save_letter": "儲存行政獎勵函", "save_survey": "設定成效評量問卷",
    "record_paper_answers": "登錄紙本問卷", "open_registration": "設定成果分享報名",
    "register_participants": "報名成果分享", "cancel_participant": "取消報名",
    "move_participant": "調整場次", "check_in": "報到", "import_attendance": "匯入報到紀錄",
    "purge_contacts": "刪除學員聯絡資料", "record_review_session": "記錄評選會議",
    "record_difference_handling": "記錄評分差異處置", "scores_demo": "評分（示範資料）",
    "sign_in_throttled": "暫停登入（多次失敗）",
}
TABLE_NAMES = {"edition": "年度", "user": "帳號", "stage": "評選階段", "case": "案例",
               "assignment": "指派", "conflict": "利益迴避", "adoption": "應用調查",
               "commendationletter": "行政獎勵函", "participant": "調訓學員",
               "registrationwindow": "報名設定", "survey": "成效評量問卷",
               "surveyresponse": "問卷填答", "reviewsession": "評選會議",
               "speaker_merge": "種籽師資合併"}


def staff_home():
    """The staff hub: every page that runs the year."""
    return render_template("staff/home.html", latest=latest_edition())


# --- the screening panel -----------------------------------------------------------------------

def screening_panel_page(year: int):
    """Choose which judges screen the year; the auto-assignment draws only from them."""
    edition = get_edition(year)
    problems = []
    if request.method == "POST":
        try:
            chosen = set_screening_panel(year, request.form.getlist("judges"),
                                         actor=current_actor())
        except ValidationError as error:
            problems = [p.message for p in error.problems]
        else:
            flash(f"已設定書面篩選評審名單（{len(chosen)} 位）", "success")
            return redirect(url_for("years.panel", year=year))
    judges = active_judges()
    profiles = judge_profiles(judges)
    judges = [(judge, profiles[judge.id]) for judge in judges]
    members = {judge.id for judge in screening_panel(year)}
    return render_template("staff/panel.html", edition=edition, judges=judges, members=members,
                           problems=problems), 400 if problems else 200


# --- the search index --------------------------------------------------------------------------

class RebuildJob:
    """The one index rebuild this process runs from the browser, and how far it has got."""

    def __init__(self):
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.done, self.total, self.error = 0, 0, ""

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> bool:
        """Start a rebuild unless one is running; True when this call started it."""
        with self.lock:
            if self.running:
                return False
            self.done, self.total, self.error = 0, 0, ""
            self.thread = threading.Thread(target=self._run, name="index-rebuild", daemon=True)
            self.thread.start()
            return True

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def _run(self) -> None:
        try:
            case_search().rebuild(progress=self._progress)
        except Exception as error:  # noqa: BLE001 - shown on the page; the old index stays
            self.error = f"{type(error).__name__}: {error}"

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a running rebuild to end."""
        if self.thread is not None:
            self.thread.join(timeout)

    def as_dict(self) -> dict:
        return {"running": self.running, "done": self.done, "total": self.total,
                "error": self.error}


rebuild_job = RebuildJob()


def _index_state() -> dict:
    status = case_search().status()
    cases = Case.select().count()
    documents = status.get("documents")
    return {**status, "cases": cases, "job": rebuild_job.as_dict(),
            "disagrees": bool(status["missing"] or status["stale"]
                              or (documents is not None and documents != cases))}


def index_status_page():
    """The search index: missing, stale, generation, documents, and the rebuild button."""
    return render_template("staff/index.html", state=_index_state())


def index_status_json():
    """The index state and rebuild progress, for the page to follow the rebuild."""
    return jsonify(_index_state())


def index_rebuild():
    """Start rebuilding the search index from the database (POST)."""
    if rebuild_job.start():
        flash("已開始重建搜尋索引", "success")
    else:
        flash("搜尋索引正在重建中", "warning")
    return redirect(url_for("admin.index_status"))


# --- the audit trail ---------------------------------------------------------------------------

def _audit_filters() -> dict:
    year = request.args.get("year", "").strip()
    return {"year": int(year) if year.isdigit() and len(year) <= 4 else None,
            "actor": request.args.get("actor", "").strip() or None,
            "action": request.args.get("action", "").strip() or None,
            "record": request.args.get("record", "").strip() or None}


def audit_page():
    """Every audited change (who, when, what, before → after, reason), filtered and paged."""
    filters = _audit_filters()
    query = find_audit(**filters)
    total = query.count()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    entries = _audit_lines(audit_dicts(query.paginate(page, PAGE_SIZE)))
    return render_template("staff/audit.html", entries=entries, total=total, page=page,
                           pages=pages, filters=filters, choices=audit_choices(),
                           years=edition_years(), ACTION_NAMES=ACTION_NAMES,
                           TABLE_NAMES=TABLE_NAMES)


def _audit_lines(entries: list[dict]) -> list[tuple[str, ...]]:
    """Each record's cells as the page shows them (time, actor, action, record, before, after,
    reason), as texts made here: filters and lookups for each cell in the template were most
    of the page's time."""
    return [(roc_time(entry["at"], seconds=True), entry["actor"],
             ACTION_NAMES.get(entry["action"], entry["action"]),
             TABLE_NAMES.get(entry["table"], entry["table"])
             + ("" if entry["record_id"] is None else f" {entry['record_id']}"),
             change_text(entry["before"]), change_text(entry["after"]), entry["reason"])
            for entry in entries]


def audit_download():
    """The filtered audit trail as an .xlsx file (newest first)."""
    entries = audit_dicts(find_audit(**_audit_filters()).limit(AUDIT_EXPORT_LIMIT))
    data = build_audit_workbook(entries, action_names=ACTION_NAMES)
    return send_download(data, "異動紀錄.xlsx")
