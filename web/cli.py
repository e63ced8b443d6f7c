"""The `forum` command line. Each command's docstring is its --help."""
from __future__ import annotations

import functools
import json
import sys
import threading
import time
from pathlib import Path

import click

from kb.cases import SECTIONS, case_detail, case_summary, find_cases, get_case, import_cases
from kb.editions import (create_edition_from, edition_settings, get_edition, latest_edition,
                         list_editions, set_intake_open)
from kb.db import database
from kb.errors import ForumError, ValidationError
from kb.judging import (assign_onsite, assign_screening, assignment_dict, get_stage,
                        list_assignments, set_judge_profile, set_stage_state,
                        stage_criteria, stage_progress)
from kb.selection import (change_nominations, compute_selection, confirm_nominations,
                          judge_statistics, nomination_flags, override_outcome,
                          propose_nominations, publish_results, stage_score_table)
from kb.text import split_list
from kb.search import case_search
from kb.settings import QUOTA_LABELS
from kb.settings_change import preview_settings, replace_settings
from kb.account_import import account_choices, import_accounts
from kb.judges import screening_panel, set_screening_panel
from kb.rocdate import roc_year
from kb.users import (ROLES, add_user, list_users, reset_password, set_password, set_user_active,
                      user_dict)
from web.instance import instance_home, open_instance, uploads_folder


class ForumGroup(click.Group):
    """A command group that prints the errors a person can cause as one zh-TW message."""

    group_class = type  # subgroups are ForumGroups too

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ForumError as error:
            click.echo(f"錯誤：{error}" + (f"，{error.hint}" if error.hint else ""), err=True)
            ctx.exit(1)


json_option = click.option("--json", "as_json", is_flag=True, help="以 JSON 輸出")
font_option = click.option("--font", help="TrueType 中文字型路徑（預設依 FORUM_PDF_FONT 或系統常見位置）")


def print_json(data) -> None:
    """Print data as indented UTF-8 JSON."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit(data, as_json: bool, lines) -> None:
    """Print ``data`` as JSON, or else the text lines that ``lines(data)`` yields."""
    if as_json:
        print_json(data)
    else:
        for line in lines(data):
            click.echo(line)


def read_secret(from_stdin: bool) -> str:
    """A password from one line of standard input, or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("密碼", hide_input=True, confirmation_prompt="再輸入一次密碼")


@click.group(cls=ForumGroup)
@click.option("--home", type=click.Path(file_okay=False), envvar="FORUM_HOME",
              help="執行個體資料夾（資料庫、索引、上傳與產出檔案），預設 ./instance")
@click.pass_context
def main(ctx, home):
    """地方治理標竿論壇：標竿案例知識庫與評選系統。"""
    ctx.obj = instance_home(home)


def _open(ctx) -> Path:
    """Open the instance folder ``--home`` names (database, search index); returns its path."""
    open_instance(ctx.obj)
    return ctx.obj


def uses_instance(command):
    """Open the instance folder before ``command`` runs: the decorator of every command that
    reads or writes the forum's data (with ``@click.pass_obj`` above it, it gets the path)."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        _open(click.get_current_context())
        return command(*args, **kwargs)
    return run


def with_progress(label: str, work):
    """``work(progress)`` under a progress bar on stderr, ``progress(done, total)`` moving it."""
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:
        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)
        return work(progress)


def _rebuild_index(workers: int = 2) -> str:
    return with_progress("重建搜尋索引",
                         lambda progress: case_search().rebuild(workers=workers, progress=progress))


def _ensure_index() -> None:
    """Rebuild the search index when it is missing, catch it up when it lags (said on stderr)."""
    status = case_search().status()
    if status["missing"]:
        click.echo("搜尋索引不存在，重新建立中…", err=True)
        _rebuild_index()
    elif status["outdated"]:
        click.echo("搜尋索引早於已清除的變更紀錄，重新建立中…", err=True)
        _rebuild_index()
    elif status["stale"]:
        click.echo(f"搜尋索引落後 {status['behind']} 件案例，補上中…", err=True)
        case_search().catch_up()


def _load_demo(*, objects: bool = True):
    from seeds.demo import load_demo

    return with_progress("載入示範資料",
                         lambda progress: load_demo(progress=progress, objects=objects))


def _prepare_demo_objects(app):
    """Write the demo's objects in a thread (returned) once the server listens (the first page
    does not wait for them); meanwhile every page says so (``FORUM_PREPARING``). A failure is
    said on stderr and on the pages; the next start tries again."""
    import threading

    from seeds.demo import demo_objects_preparing, load_demo_objects

    state = {"message": demo_objects_preparing()}

    def run():
        try:
            database.connect(reuse_if_open=True)
            load_demo_objects()
            state["message"] = None
        except Exception as error:  # noqa: BLE001 — shown; the next `forum serve --demo` retries
            state["message"] = f"示範資料準備失敗：{error}；請重新啟動 forum serve --demo"
            click.echo(state["message"], err=True)
        finally:
            database.close()

    app.config["FORUM_PREPARING"] = lambda: state["message"]
    thread = threading.Thread(target=run, name="demo-objects", daemon=True)
    thread.start()
    return thread


@main.command()
@click.option("--demo", is_flag=True, help="同時載入示範資料與示範帳號")
@click.pass_obj
@uses_instance
def init(home, demo):
    """建立執行個體資料夾與資料庫（可重複執行）。"""
    click.echo(f"執行個體：{home}")
    if demo:
        summary = _load_demo()
        click.echo(f"示範資料：{len(summary.years)} 個年度，{summary.cases} 件案例")
        _ensure_index()
    elif latest_edition() is None:
        click.echo("尚無任何年度，請以 forum edition create 年度 建立")


@main.command()
@click.option("--demo", is_flag=True, help="以示範資料與示範帳號啟動")
@click.option("--host", default="127.0.0.1", show_default=True, help="監聽位址")
@click.option("--port", default=8000, show_default=True, type=int, help="連接埠")
@click.option("--threads", default=8, show_default=True, type=int, help="每個行程處理請求的執行緒數")
@click.option("--processes", type=click.IntRange(1, 64), default=None,
              help="共用同一連接埠處理請求的行程數（預設：CPU 核心數，最多 4）")
@click.option("--listen-fd", type=int, default=None, hidden=True)  # a worker of another serve
@click.option("--counts-fd", type=int, default=None, hidden=True)  # its connection counts
@click.option("--slot", type=int, default=0, hidden=True)  # and its place in them
@click.pass_obj
@uses_instance
def serve(home, demo, host, port, threads, processes, listen_fd, counts_fd, slot):
    """以 waitress 啟動網站。"""
    import socket

    from waitress import create_server

    from web import create_app
    from web import workers as serving

    if listen_fd is not None:  # one of the processes another `forum serve` started
        serving.exit_with_parent()
    accounts, objects_pending = [], False
    if demo:
        from seeds.demo import demo_accounts, demo_objects_pending

        _load_demo(objects=False)  # the objects are written once the server listens
        accounts = demo_accounts()
        objects_pending = demo_objects_pending()
    search = case_search()
    status = search.status()
    stale = status["missing"] or status["outdated"]
    if not stale:
        search.catch_up()
        search.warm()
    app = create_app(home=home)
    if listen_fd is not None:
        worker = create_server(app, sockets=[socket.socket(fileno=listen_fd)], threads=threads,
                               ident="forum")
        serving.settle_heap()
        serving.accept_in_turn(worker, serving.ConnectionCounts(counts_fd, slot))
        worker.run()
        return
    server = create_server(app, host=host, port=port, threads=threads, ident="forum")
    listener = serving.listening_socket(server)
    more = (processes or serving.default_processes()) - 1 if listener is not None else 0
    counts = serving.ConnectionCounts.create(more + 1) if more else None
    arguments = ["--home", str(home), "serve", "--threads", str(threads)]
    started = []
    if stale:  # started once the server listens, so the first page does not wait for it
        click.echo("搜尋索引建立中（在背景進行，網站照常使用）", err=True)
        search.rebuild_in_background()
    preparing = None
    if objects_pending:
        click.echo("示範資料的精進案例、簡報、獎勵函與論壇當日資料準備中（在背景進行）", err=True)
        preparing = _prepare_demo_objects(app)
    if more and (stale or preparing):
        # The other processes start on the built index and the demo's full rows: until then this
        # process alone answers, its pages saying what is still being prepared.
        def start_when_ready():
            if preparing is not None:
                preparing.join()
            while search.building():
                time.sleep(0.5)
            started.extend(serving.start_workers(listener, more, arguments, counts))
        threading.Thread(target=start_when_ready, name="workers", daemon=True).start()
    elif more:
        started.extend(serving.start_workers(listener, more, arguments, counts))
    click.echo(f"執行個體：{home}")
    click.echo(f"網址：http://{host}:{port}/")
    click.echo(f"處理請求的行程：{more + 1} 個（每個 {threads} 個執行緒）")
    if accounts:
        click.echo("示範帳號（密碼皆為 demo1234）：")
        for account in accounts:
            county = f"・{account.county}" if account.county else ""
            click.echo(f"  {account.login:<14} {ROLES[account.role]}{county}")
    if more:
        serving.stop_on_terminate()
    serving.settle_heap()
    if more:
        serving.accept_in_turn(server, counts)
    try:
        server.run()
    finally:
        serving.stop_workers(started)


# --- editions ---------------------------------------------------------------------------------

@main.group()
def edition():
    """年度論壇的設定。"""


@edition.command("create")
@click.argument("year", type=int)
@click.option("--from", "from_year", type=int, help="複製此年度的設定（預設用參考資料）")
@uses_instance
def edition_create(year, from_year):
    """建立民國 YEAR 年的論壇（分區、類別、評選指標、權重、名額）。"""
    created = create_edition_from(year, from_year)
    click.echo(f"已建立 {created.name}")


@edition.command("settings")
@click.argument("year", type=int)
@click.option("--load", "load_file", type=click.Path(exists=True, dir_okay=False),
              help="以此 JSON 檔取代本年度設定（格式同 --json 的輸出）")
@click.option("--reason", help="變更理由（已開始評分後變更評選指標、權重或彙整方式時必填）")
@click.option("--dry-run", is_flag=True, help="與 --load 併用：只列出將變更的項目，不寫入")
@json_option
@uses_instance
def edition_settings_command(year, load_file, reason, dry_run, as_json):
    """顯示民國 YEAR 年的設定，或以 --load 的 JSON 檔取代（同網頁的檢查與限制）。"""
    if load_file is None:
        settings = edition_settings(get_edition(year))
        emit(settings, as_json, settings_lines)
        return
    try:
        raw = json.loads(Path(load_file).read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(f"{load_file} 不是有效的 UTF-8 JSON 檔：{error}") from error
    change = (preview_settings(year, raw) if dry_run
              else replace_settings(year, raw, reason=reason))
    emit(change.as_dict(), as_json, lambda c: [
        ("（試算，未寫入）" if dry_run else "") + (
            f"{roc_year(year)}設定{'將' if dry_run else '已'}變更 {len(c['changes'])} 項"
            if c["changes"] else f"{roc_year(year)}設定沒有變更"),
        *(f"  {line}" for line in c["changes"])])


def settings_lines(settings: dict):
    """A year's settings as lines of text."""
    for region in settings["regions"]:
        yield f"分區 {region['name']}：{'、'.join(region['counties'])}"
    for category in settings["categories"]:
        yield f"類別 {category['name']}（優先順序 {category['priority']}）"
    for criterion in settings["criteria"]:
        yield f"評選指標 {criterion['name']} {criterion['points']:g} 分"
    for stage in settings["stages"]:
        yield f"階段 {stage['name']}（{stage['key']}）權重 {stage['weight']:.0%}"
    for key, label in QUOTA_LABELS.items():
        yield f"{label}：{settings['quotas'][key]}"
    yield f"每案評審人數：{settings['judges_per_case']}"
    yield f"評分彙整方式：{settings['aggregation']}"
    yield f"比序規則：{'、'.join(settings['tie_break']) or '（未設定）'}"


@edition.command("list")
@json_option
@uses_instance
def edition_list(as_json):
    """列出各年度論壇。"""
    rows = [{"year": e.year, "ad_year": e.ad_year, "name": e.name, "intake_open": e.intake_open}
            for e in list_editions()]
    emit(rows, as_json, lambda rows: (
        f"{row['year']}（{row['ad_year']}）{row['name']}  "
        f"{'收件中' if row['intake_open'] else '收件已截止'}" for row in rows))


@edition.command("intake")
@click.argument("year", type=int)
@click.option("--open/--close", "is_open", required=True, help="開放或截止收件")
@uses_instance
def edition_intake(year, is_open):
    """開放或截止民國 YEAR 年的收件。"""
    set_intake_open(year, is_open)
    click.echo(f"{roc_year(year)}收件已{'開放' if is_open else '截止'}")


# --- cases ------------------------------------------------------------------------------------

@main.group()
def cases():
    """案例：範本、匯入、查詢。"""


@cases.command("template")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .xlsx")
@click.option("--year", type=int, help="年度（預設最新年度）")
@uses_instance
def cases_template(output, year):
    """產生空白的案例清單 Excel 範本（含下拉選單與填寫說明）。"""
    from exports.case_workbook import build_case_template
    from kb.editions import case_list_choices

    chosen = get_edition(year) if year else latest_edition()
    if chosen is None:
        raise ValidationError("尚無任何年度，請先以 forum edition create 年度 建立")
    Path(output).write_bytes(build_case_template(case_list_choices(chosen)))
    click.echo(f"已寫出 {output}（{roc_year(chosen.year)}）")


@cases.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--dry-run", is_flag=True, help="只檢查並報告，不寫入")
@click.option("--override-quota", is_flag=True, help="受理超過每縣市件數上限的案例")
@click.option("--reason", help="受理超過上限的理由（與 --override-quota 併用）")
@json_option
@uses_instance
def cases_import(file, year, dry_run, override_quota, reason, as_json):
    """匯入 Excel 案例清單；任何一列有誤即全部不寫入。"""
    from exports.case_workbook import read_case_workbook

    if override_quota and not (reason or "").strip():
        raise ValidationError("--override-quota 須以 --reason 註明理由")
    rows = read_case_workbook(Path(file).read_bytes())
    report = import_cases(year, rows, dry_run=dry_run,
                          override_reason=reason if override_quota else None)
    verb = "將" if dry_run else "已"
    emit(report.as_dict(), as_json, lambda r: [
        f"{'（試算，未寫入）' if dry_run else ''}{verb}新增 {len(r['created'])} 件，"
        f"{verb}更新 {len(r['updated'])} 件，未變動 {len(r['unchanged'])} 件",
        *(f"  新增 {label}" for label in r["created"]),
        *(f"  更新 {label}" for label in r["updated"])])


@cases.command("list")
@click.option("--year", type=int, help="年度（民國年）")
@click.option("--county", help="縣市")
@json_option
@uses_instance
def cases_list(year, county, as_json):
    """列出案例。"""
    rows = [case_summary(c) for c in find_cases(staff_scope=True, year=year, county=county)]
    emit(rows, as_json, lambda rows: [
        *(f"{row['id']:>6}  {row['year']}  {row['region']}  {row['county']}  {row['category']}  "
          f"{row['title']}  {row['status_label']}"
          + (f"［{row['award_label']}］" if row["award"] else "") for row in rows),
        f"共 {len(rows)} 件"])


@cases.command("show")
@click.argument("case_id", type=int)
@json_option
@uses_instance
def cases_show(case_id, as_json):
    """顯示一件案例的完整內容。"""
    detail = case_detail(get_case(case_id, staff_scope=True), include_private=True)
    emit(detail, as_json, lambda d: [
        f"〈{d['title']}〉",
        f"民國{d['year']}年・{d['region']}・{d['county']}・{d['agency']}",
        f"類別：{d['category']}{'（' + d['theme'] + '）' if d['theme'] else ''}"
        f"　狀態：{d['status_label']}",
        f"\n【案例摘要】\n{d['summary']}",
        *(f"\n【{label}】\n{d['sections'].get(key, '')}" for key, label in SECTIONS)])


# --- search -----------------------------------------------------------------------------------

@main.command()
@click.argument("query")
@click.option("--year", type=int, help="年度（民國年）")
@click.option("--region", help="分區")
@click.option("--county", help="縣市")
@click.option("--category", help="徵求類別")
@click.option("--award", type=click.Choice(["benchmark", "honourable"]), help="獎項")
@click.option("--limit", type=int, default=20, show_default=True, help="最多列出幾件")
@click.option("--sort", type=click.Choice(["relevance", "year"]), default="relevance",
              show_default=True, help="排序")
@click.option("--public", is_flag=True, help="只看公開的案例（大眾所見）")
@json_option
@uses_instance
def search(query, year, region, county, category, award, limit, sort, public, as_json):
    """全文搜尋案例：列出包含 QUERY 每個詞的案例，依相關程度排序。

    多個詞以空白分隔表示都要出現；OR 表示任一；-詞 表示排除；以引號包住含空白的片語。
    """
    results = case_search().search(query, year=year, region=region, county=county,
                                   category=category, award=award, public=public,
                                   per_page=max(limit, 1), sort=sort)
    for note in results.notes:
        click.echo(note, err=True)
    emit(results.as_dict(), as_json, lambda data: [
        *(f"{hit['id']:>6}  {hit['year']}  {hit['county']}  {hit['title']}  ({hit['score']:.2f})"
          for hit in data["hits"]),
        f"共 {data['total']} 件"])


@main.command()
@click.option("--workers", type=int, default=2, show_default=True, help="斷詞與寫入字詞索引使用的行程數")
@uses_instance
def reindex(workers):
    """由資料庫重建搜尋索引，完成後一次切換（中途失敗時舊索引照常使用）。"""
    name = _rebuild_index(workers)
    click.echo(f"搜尋索引已重建（{name}）")


# --- judging ----------------------------------------------------------------------------------

STAGE_CHOICE = click.Choice(["screening", "onsite"])


def year_stage_options(command):
    """The required --year and --stage options (the stage arrives as ``key``)."""
    command = click.option("--stage", "key", type=STAGE_CHOICE, required=True,
                           help="screening（書面篩選）或 onsite（分區評選）")(command)
    return click.option("--year", type=int, required=True, help="年度（民國年）")(command)


@main.group(invoke_without_command=True)
@click.option("--year", type=int, help="年度（民國年）")
@click.option("--stage", type=STAGE_CHOICE, help="screening（書面篩選）或 onsite（分區評選）")
@click.option("--auto", is_flag=True, help="自動指派（書面：每案評審數、負載平均、避開利益衝突）")
@click.option("--region", help="分區評選：分區")
@click.option("--judges", help="評審帳號，以逗號分隔：書面篩選為加入本年度評審名單者；"
              "分區評選為該區評審（取代該區名單）")
@click.option("--per-case", type=int, help="書面篩選每案評審數（預設用年度設定）")
@click.option("--reason", help="分區評選：變更評審名單將刪除暫存評分時的理由")
@click.pass_context
def assign(ctx, year, stage, auto, region, judges, per_case, reason):
    """指派評審：forum assign --year Y --stage S --auto，或 --stage onsite --region R --judges L1,L2。"""
    if ctx.invoked_subcommand is not None:
        return
    if year is None or stage is None:
        raise ValidationError("請以 --year 與 --stage 指定年度與階段")
    _open(ctx)
    logins = split_list(judges) if judges else None
    if stage == "screening":
        if not auto and not logins:
            raise ValidationError("書面篩選請加 --auto（可再以 --judges 限定評審名單）")
        report = assign_screening(year, judges=logins, per_case=per_case)
    else:
        if not auto and not (region and logins):
            raise ValidationError("分區評選請加 --auto，或以 --region 與 --judges 指定該區評審")
        report = assign_onsite(year, region=region, judges=logins, reason=reason)
    click.echo(f"已新增 {report.created} 筆指派")


@assign.command("list")
@year_stage_options
@json_option
@uses_instance
def assign_list(year, key, as_json):
    """列出某階段的評審指派。"""
    criteria = stage_criteria(get_stage(year, key))
    rows = [assignment_dict(a, criteria) for a in list_assignments(year, key)]
    for row in rows:
        del row["scores"], row["total"], row["comment"]
    emit(rows, as_json, lambda rows: [
        *(f"{r['case']:>6}  {r['region']}  {r['county']}  {r['title']}  {r['judge']}  {r['state']}"
          for r in rows), f"共 {len(rows)} 筆"])


@assign.command("panel")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--judges", help="書面篩選評審名單（帳號，以逗號分隔；取代目前名單）")
@json_option
@uses_instance
def assign_panel(year, judges, as_json):
    """顯示或設定民國 YEAR 年的書面篩選評審名單（自動指派只從名單挑選）。"""
    panel = (set_screening_panel(year, split_list(judges)) if judges is not None
             else screening_panel(year))
    emit([u.login for u in panel], as_json, lambda logins: [
        f"{roc_year(year)}書面篩選評審名單：{'、'.join(logins) or '（未設定，所有啟用中的評審皆可指派）'}"])


@main.group()
def stage():
    """評分階段：開放、關閉、重新開放、進度。"""


def _stage_action(action: str):
    @year_stage_options
    @click.option("--reason", help="理由（重新開放、強制關閉時必填）")
    @uses_instance
    def run(year, key, reason, force=False, allow_resubmit=None):
        changed = set_stage_state(year, key, action, reason=reason, force=force,
                                  allow_resubmit=allow_resubmit)
        click.echo(f"{roc_year(year)}「{changed.name}」已{'開放' if changed.is_open else '關閉（評分鎖定）'}"
                   + ("，允許修改已送出的評分" if changed.is_open and changed.allow_resubmit else ""))
    run.__doc__ = {
        "open": "開放評分階段。",
        "close": "關閉評分階段（評分與指派鎖定）；尚有未送出的指派時拒絕並列出，"
                 "確定要關閉請加 --force --reason。",
        "reopen": "重新開放已關閉的評分階段（須 --reason）。"}[action]
    if action == "close":
        run = click.option("--force", is_flag=True, help="尚有未送出的指派仍關閉（須 --reason）")(run)
    else:
        run = click.option("--allow-resubmit/--no-allow-resubmit", default=None,
                           help="是否允許評審修改已送出的評分（預設不變）")(run)
    return stage.command(action)(run)


for _action in ("open", "close", "reopen"):
    _stage_action(_action)


@stage.command("status")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@json_option
@uses_instance
def stage_status(year, as_json):
    """各階段的開放狀態與每位評審的評分進度（已送出／已指派）。"""
    emit(stage_progress(year), as_json, lambda stages: [
        line for s in stages for line in (
            f"{s['name']}：{'開放' if s['open'] else '關閉'}",
            *(f"  {j['judge']:<12} {j['scored']}／{j['assigned']}" for j in s["judges"]))])


@main.group()
def scoresheet():
    """評審的 Excel 評分表：匯出、匯入。"""


@scoresheet.command("export")
@year_stage_options
@click.option("--judge", required=True, help="評審帳號")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .xlsx")
@uses_instance
def scoresheet_export(year, key, judge, output):
    """匯出一位評審的評分表（已填的分數會帶入）。"""
    from web.score_files import scoresheet_file

    Path(output).write_bytes(scoresheet_file(year, key, judge))
    click.echo(f"已寫出 {output}")


def _print_score_report(report, as_json: bool) -> None:
    verb = "將更新" if report.dry_run else "已更新"
    emit(report.as_dict(), as_json, lambda r: [
        f"{'（試算，未寫入）' if r['dry_run'] else ''}{verb} {len(r['changed'])} 筆，"
        f"未變動 {r['unchanged']} 筆",
        *(f"  案例 {c['case']} {c['judge']}：{c['before']} → {c['after']}" for c in r["changed"]),
        *(f"  案例 {c['case']} {c['judge']}：{c['why']}" for c in r["cases"])])


@scoresheet.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只檢查並報告，不寫入")
@click.option("--submit", is_flag=True,
              help="代評審送出每一列已評齊的案例（不論「送出」欄；稽核紀錄註明代為送出）")
@json_option
@uses_instance
def scoresheet_import(files, dry_run, submit, as_json):
    """匯入評審填好的評分表（可一次多份）；「送出」為「是」的列即送出，其餘暫存；任何一份的任何一格有誤即全部不寫入。"""
    from web.score_files import import_scoresheets

    _print_score_report(import_scoresheets([(Path(file).name, Path(file).read_bytes())
                                            for file in files],
                                           dry_run=dry_run, submit_complete=submit), as_json)


@main.group()
def scores():
    """評分總表：匯入（紙本評分表登打）、匯出、列出。"""


@scores.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, help="年度（檔案未標示時必填）")
@click.option("--stage", "key", type=STAGE_CHOICE, help="階段（檔案未標示時必填）")
@click.option("--dry-run", is_flag=True, help="只檢查並報告，不寫入")
@json_option
@uses_instance
def scores_import(file, year, key, dry_run, as_json):
    """匯入評分總表（每列一位評審對一件案例）；任何一格有誤即全部不寫入。"""
    from web.score_files import import_scores_table, scores_table_stage

    data = Path(file).read_bytes()
    if year is None or key is None:
        recorded = scores_table_stage(data)
        if recorded is None:
            raise ValidationError("檔案未標示年度與階段，請以 --year 與 --stage 指定")
        year, key = year or recorded.year, key or recorded.key
    _print_score_report(import_scores_table(data, year=year, stage_key=key, dry_run=dry_run),
                        as_json)


@scores.command("export")
@year_stage_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .xlsx")
@uses_instance
def scores_export(year, key, output):
    """匯出評分總表：每位評審的分數與每件案例的彙總。"""
    from web.score_files import scores_table_file

    Path(output).write_bytes(scores_table_file(year, key))
    click.echo(f"已寫出 {output}")


@scores.command("list")
@year_stage_options
@json_option
@uses_instance
def scores_list(year, key, as_json):
    """列出某階段每位評審的分數，與各案依年度評分彙整方式計算的階段成績（評選所用）及平均總分。"""
    emit(stage_score_table(year, key), as_json, lambda data: [
        *(f"{r['case']:>6}  {r['judge']:<12} {r['state']:<9} {r['total'] if r['total'] is not None else '—'}"
          for r in data["scores"]),
        f"階段成績：{data['method_name']}",
        *(f"案例 {c['case']} 階段成績 {c['score']:.2f}（平均 {c['mean']:.2f}，{c['judges']} 位）"
          + "".join(f"；{note}" for note in c["notes"]) for c in data["cases"])])


# --- selection --------------------------------------------------------------------------------

@main.command()
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--confirm", is_flag=True, help="依建議確認全部縣市的提名")
@click.option("--county", help="變更此縣市的提名")
@click.option("--cases", "case_ids", help="該縣市提名的案例編號，以逗號分隔")
@click.option("--reason", help="變更提名的理由")
@json_option
@uses_instance
def nominate(year, confirm, county, case_ids, reason, as_json):
    """書面篩選後的提名：顯示建議、確認建議，或變更一個縣市的提名（須 --reason）。"""
    if county:
        if not case_ids:
            raise ValidationError("請以 --cases 指定提名的案例編號")
        ids = [int(i) for i in split_list(case_ids) if i.isdigit()]
        chosen = change_nominations(year, county, ids, reason=reason or "")
        click.echo(f"已變更提名：{'、'.join(map(str, chosen)) or '無'}")
        return
    if confirm:
        result = confirm_nominations(year)
        emit(result.as_dict(), as_json, lambda r: [
            *(f"{county}：{'、'.join(map(str, ids))}（依建議確認）" for county, ids in r["confirmed"].items()),
            *(f"{county}：{'、'.join(map(str, ids))}（保留縣市自行變更的提名）"
              for county, ids in r["kept"].items()),
            *(f"{flag['message']}：請以 forum nominate --year {year} --county {flag['county']} "
              "--cases … --reason … 指定" for flag in r["flags"]),
            f"已確認 {len(r['confirmed'])} 個縣市的提名，保留 {len(r['kept'])} 個縣市自行變更的提名"])
        return
    proposal, flags = propose_nominations(year), nomination_flags(year)
    emit({"proposal": proposal, "flags": flags}, as_json, lambda p: [
        *(f"{county}：{'、'.join(map(str, ids))}" for county, ids in p["proposal"].items()),
        *(f"注意：{flag['message']}" for flag in p["flags"]),
        "（建議；加 --confirm 確認）" if p["proposal"] else _no_proposal_reason(year)])


def _no_proposal_reason(year: int) -> str:
    """Why there is nothing to propose: how many screening assignments are submitted."""
    progress = next(s for s in stage_progress(year) if s["stage"] == "screening")
    done = sum(j["scored"] for j in progress["judges"])
    assigned = sum(j["assigned"] for j in progress["judges"])
    return (f"沒有可建議的提名：書面篩選尚無已送出的完整評分（已送出 {done}／{assigned} 筆）；"
            "評審須送出評分（評分表「送出」欄選「是」，或 forum scoresheet import --submit）")


@main.group(invoke_without_command=True)
@click.option("--year", type=int, help="年度（民國年）")
@click.option("--region", help="只看此分區")
@json_option
@click.pass_context
def select(ctx, year, region, as_json):
    """各分區依總成績排序、選出標竿案例與佳作，並說明每件的結果。"""
    if ctx.invoked_subcommand is not None:
        return
    if year is None:
        raise ValidationError("請以 --year 指定年度")
    _open(ctx)
    regions = compute_selection(year, region)
    emit({"year": year, "regions": [r.as_dict() for r in regions]}, as_json, lambda data: [
        line for r in data["regions"] for line in (
            f"{r['region']}：標竿 {r['benchmarks']}，佳作 {r['honourable']}",
            *(f"  {x['rank']:>2}. {x['case']:>6} {x['county']} {x['final']:.2f}  {x['reason']}"
              for x in r["ranking"]),
            *(f"  ⚠ {f['message']}：{f['cases']}" for f in r["flags"]))])


@select.command("override")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--case", "case_id", type=int, required=True, help="案例編號")
@click.option("--outcome", type=click.Choice(["benchmark", "honourable", "none"]), required=True,
              help="結果")
@click.option("--reason", required=True, help="理由")
@click.option("--accept-break", "accept_breaks", multiple=True,
              help="確認超出此名額規則（例如 region:第一區、county:臺北市；拒絕訊息會列出）")
@uses_instance
def select_override(year, case_id, outcome, reason, accept_breaks):
    """主辦機關調整一件案例的評選結果（例如裁定同分），須註明理由；超出名額須以 --accept-break 確認。"""
    broken = override_outcome(year, case_id, outcome, reason=reason, accept_breaks=accept_breaks)
    click.echo(f"已將案例 {case_id} 的結果設為 {outcome}"
               + (f"（經確認超出名額：{'；'.join(broken)}）" if broken else ""))


@main.command()
@click.option("--year", type=int, required=True, help="年度（民國年）")
@uses_instance
def publish(year):
    """公布評選結果：設定各案狀態，標竿案例與佳作對外公開。"""
    result = publish_results(year)
    click.echo(f"已公布{roc_year(year)}結果：{result['published']} 件入選案例公開")


@main.command()
@year_stage_options
@json_option
@uses_instance
def stats(year, key, as_json):
    """評審統計：各分區評審的寬嚴、評審一致性（Kendall's W）、評分信度（Krippendorff's alpha）與排序明顯不同的評審。"""
    emit(judge_statistics(year, key), as_json, lambda regions: [
        line for r in regions for line in (
            f"{r['region']}：評審一致性（Kendall's W）{r['kendall_w']}，"
            f"評分信度（Krippendorff's alpha）{r['alpha']}",
            *(f"  {j['judge']:<12} 平均 {j['mean']:.2f}（全體 {j['panel_mean']:.2f}）{j['label']}"
              for j in r["judges"]),
            *(f"  ⚠ {a['judge']} 與其他評審排序差異大（排序相關 Spearman rho {a['rho']}）"
              for a in r["agreement"] if a["flagged"]))])


@main.group()
def results():
    """評選結果：匯出 Excel 結果表。"""


@results.command("export")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .xlsx")
@uses_instance
def results_export(year, output):
    """匯出評選結果：各分區排名、階段成績、每位評審總分、結果與說明，以及評審統計。"""
    from exports.results_workbook import build_results_workbook
    from kb.results import results_data

    Path(output).write_bytes(build_results_workbook(results_data(year)))
    click.echo(f"已寫出 {output}（{roc_year(year)}評選結果）")


@main.group()
def participants():
    """成果分享的調訓學員：報名、候補、報到、簽到表與名牌。"""


@participants.command("open")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--region", required=True, help="分區")
@click.option("--seats", type=int, required=True, help="名額")
@click.option("--deadline", default="", help="報名截止日，例如 115/09/30（空白：不設）")
@click.option("--close", "closed", is_flag=True, help="暫停報名")
@uses_instance
def participants_open(year, region, seats, deadline, closed):
    """設定一個分區成果分享的報名：名額、截止日、開放或暫停（名額增加時候補者依序遞補）。"""
    from kb.participants import open_registration
    from kb.rocdate import parse_roc_date

    open_registration(year, region, seats=seats, is_open=not closed,
                      deadline=parse_roc_date(deadline, field="報名截止日"))
    click.echo(f"已設定{roc_year(year)}{region}報名（名額 {seats} 位）")


@participants.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--county", required=True, help="報名的縣市")
@uses_instance
def participants_import(file, year, county):
    """由 Excel 名單為一個縣市報名（全部正確才寫入；同一人再匯入會更新）。"""
    from exports.participants import read_participant_list
    from kb.participants import register_participants

    done = register_participants(year, county, read_participant_list(Path(file).read_bytes()))
    click.echo(f"已報名 {done['added']} 位（其中候補 {done['waiting']} 位），更新 {done['updated']} 位")


@participants.command("list")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--region", help="分區")
@json_option
@uses_instance
def participants_list(year, region, as_json):
    """各分區名額與報名、候補、報到人數（--json 另含每位人員）。"""
    from kb.participants import STATUSES, list_participants, registration_counts

    people = [{"id": p.id, "region": p.region.name, "county": p.county.name, "name": p.name,
               "agency": p.agency, "status": p.status, "attended": p.attended}
              for p in list_participants(year, region=region)]
    counts = registration_counts(year)
    emit({"regions": counts, "participants": people}, as_json, lambda data: [
        f"{r['region']}：名額 {r['seats'] or '未設定'}，已報名 {r['registered']}，候補 {r['waiting']}，"
        f"已報到 {r['attended']}" for r in data["regions"]] + [
        f"{p['id']:>6}  {p['region']}  {p['county']}  {p['name']}  {STATUSES[p['status']]}"
        for p in data["participants"]])


@participants.command("print")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--region", required=True, help="分區")
@click.option("--kind", type=click.Choice(["signin", "cards"]), required=True, help="簽到表或名牌")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .pdf")
@uses_instance
def participants_print(year, region, kind, output):
    """印出一個分區的簽到表（依縣市排序、簽名欄）或名牌（每頁 8 張）。"""
    from exports.participants import Attendee, name_cards, sign_in_sheet
    from kb.participants import list_participants

    people = [Attendee(p.county.name, p.name, p.agency, p.title)
              for p in list_participants(year, region=region) if p.status == "registered"]
    if not people:
        raise ValidationError(f"{region}尚無已報名的人員")
    title = f"{roc_year(year)}地方治理標竿論壇{region}成果分享"
    Path(output).write_bytes(sign_in_sheet(f"{title}　簽到表", people) if kind == "signin"
                             else name_cards(title, people))
    click.echo(f"已寫出 {output}（{len(people)} 位）")


@participants.command("purge")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@uses_instance
def participants_purge(year):
    """保存期限（成果分享後 participant_retention_months 個月，預設 6）屆滿後刪除學員的電子郵件。"""
    from kb.participants import purge_contacts

    click.echo(f"已刪除 {purge_contacts(year)} 位學員的聯絡資料")


@main.group()
def survey():
    """成效評量問卷：設定題目、填答連結、紙本登錄與結果。"""


@survey.command("setup")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--from-year", type=int, help="沿用此年度的問卷（預設用預設題目）")
@click.option("--load", "load_file", type=click.Path(exists=True, dir_okay=False),
              help="由 JSON 檔設定（{\"title\": …, \"intro\": …, \"questions\": [...]}）")
@uses_instance
def survey_setup(year, from_year, load_file):
    """設定年度問卷：由 JSON 檔、沿用前一年度，或用預設題目。"""
    from kb.survey import copy_survey, save_survey

    if load_file:
        try:
            data = json.loads(Path(load_file).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise ValidationError(f"{load_file} 不是有效的 JSON：{error}") from None
        if not isinstance(data, dict):
            raise ValidationError(f"{load_file} 須為 JSON 物件")
        made = save_survey(year, title=data.get("title", ""), intro=data.get("intro", ""),
                           questions=list(data.get("questions") or []))
    else:
        made = copy_survey(year, from_year)
    click.echo(f"已設定{roc_year(year)}問卷（{len(made.questions)} 題）")


@survey.command("links")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--base-url", default="", help="網址前綴，例如 https://forum.example.gov.tw")
@json_option
@uses_instance
def survey_links_cmd(year, base_url, as_json):
    """列出各分區的填答連結（印在議程上的 QR code 即此網址）。"""
    from kb.survey import survey_links

    links = {region: f"{base_url.rstrip('/')}/s/{token}" for region, token in survey_links(year).items()}
    emit(links, as_json, lambda data: [f"{region}：{url}" for region, url in data.items()])


@survey.command("results")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="寫出報告 .pdf 或填答資料 .xlsx")
@json_option
@uses_instance
def survey_results_cmd(year, output, as_json):
    """每題的填答人數、平均分數與分布（各分區並列），或寫出報告 PDF／填答 Excel。"""
    from exports.survey import answers_workbook, build_survey_report
    from kb.survey import response_counts, survey_answer_rows, survey_results

    made, regions, results = survey_results(year)
    if output:
        if output.endswith(".pdf"):
            data = build_survey_report(made.title, year, regions, response_counts(year), results)
        elif output.endswith(".xlsx"):
            data = answers_workbook(*survey_answer_rows(year))
        else:
            raise ValidationError("-o 的副檔名須為 .pdf 或 .xlsx")
        Path(output).write_bytes(data)
        click.echo(f"已寫出 {output}")
        return
    emit({"responses": response_counts(year), "questions": [r.as_dict() for r in results]},
         as_json, lambda data: [
             f"{q['text']}：{q['count']} 人" + (f"，平均 {q['mean']:.2f}" if q["mean"] is not None else "")
             for q in data["questions"]])


@main.group()
def letters():
    """行政獎勵函：函請入選案例的提報機關給予相關人員敘獎。"""


@letters.command("list")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@json_option
@uses_instance
def letters_list(year, as_json):
    """列出年度每封行政獎勵函與尚缺的欄位。"""
    from kb.letters import year_letters

    emit([letter.as_dict() for letter in year_letters(year)], as_json, lambda rows: [
        f"{row['case']:>6}  {row['agency']}〈{row['case_title']}〉："
        + (f"尚缺{'、'.join(row['missing'])}" if row["missing"] else f"{row['number']}，{row['date']}")
        for row in rows])


@letters.command("set")
@click.option("--case", "case_id", type=int, required=True, help="案例編號")
@click.option("--number", required=True, help="發文字號")
@click.option("--date", "day", required=True, help="發文日期，例如 115/12/08")
@click.option("--sender", required=True, help="發文機關")
@click.option("--copies", default="", help="副本")
@click.option("--person", "people", multiple=True, help="敘獎人員「姓名（職稱）」，可重複；不給則用案例的人員")
@uses_instance
def letters_set(case_id, number, day, sender, copies, people):
    """設定一封行政獎勵函的發文字號、日期、發文機關、副本與敘獎人員。"""
    from kb.letters import parse_people, save_letter
    from kb.rocdate import parse_roc_date

    letter = save_letter(case_id, number=number, day=parse_roc_date(day, field="發文日期"),
                         sender=sender, copies=copies,
                         people=parse_people("\n".join(people)) if people else None)
    click.echo(f"已儲存〈{letter.case_title}〉的行政獎勵函")


@letters.command("print")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--case", "case_id", type=int, help="只印這件案例的函")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .pdf")
@font_option
@uses_instance
def letters_print(year, case_id, output, font):
    """印出行政獎勵函 PDF（每封一頁起）；任何一封尚缺發文字號、日期、發文機關或人員時拒絕。"""
    from exports.letters import build_letters
    from kb.letters import letters_to_print

    chosen = letters_to_print(year, case_id)
    Path(output).write_bytes(build_letters(chosen, font=font))
    click.echo(f"已寫出 {output}（{len(chosen)} 封）")


@main.group()
def adoption():
    """歷年案例應用調查：各縣市對歷年標竿案例的內化、創新與需求。"""


@adoption.command("record")
@click.option("--year", type=int, required=True, help="調查年度（民國年）")
@click.option("--county", required=True, help="填答的縣市")
@click.option("--answer", "answers", multiple=True, metavar="案例編號:情形[:年度]",
              help="一件案例的應用，情形為 internalised（內化）、innovated（創新）或 wanted（需求）；可重複")
@click.option("--note", "notes", multiple=True, metavar="案例編號:說明", help="一件案例的簡要說明；可重複")
@uses_instance
def adoption_record(year, county, answers, notes):
    """以 --answer 取代一個縣市本年度的全部填答（不給 --answer 表示本年度沒有應用）。"""
    from kb.adoption import AdoptionInput, record_adoptions

    texts = dict(_split_pair(n, "--note") for n in notes)
    entries = []
    for answer in answers:
        case_id, _, rest = answer.partition(":")
        kind, _, adopted = rest.partition(":")
        if not case_id.isdigit() or (adopted and not adopted.isdigit()):
            raise ValidationError(f"--answer {answer}：格式須為 案例編號:情形[:年度]")
        entries.append(AdoptionInput(int(case_id), kind, int(adopted) if adopted else None,
                                     texts.get(case_id, "")))
    rows = record_adoptions(year, county, entries)
    click.echo(f"已儲存{county}{roc_year(year)}的應用調查（{len(rows)} 件案例）")


def _split_pair(value: str, option: str) -> tuple[str, str]:
    key, sep, text = value.partition(":")
    if not sep:
        raise ValidationError(f"{option} {value}：格式須為 案例編號:說明")
    return key, text


@adoption.command("report")
@click.option("--year", type=int, required=True, help="調查年度（民國年）")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="應用矩陣 .xlsx 或 .svg")
@json_option
@uses_instance
def adoption_report(year, output, as_json):
    """列出調查的填答情形與應用矩陣（歷年標竿案例 × 縣市），或寫出 Excel／SVG。"""
    from exports.adoption import adoption_svg, adoption_workbook, matrix_rows
    from kb.adoption import KINDS, adoption_survey

    report = adoption_survey(year)
    data = report.as_dict()
    if output:
        rows = matrix_rows(data)
        if output.endswith(".svg"):
            Path(output).write_bytes(adoption_svg(year, report.counties, rows))
        elif output.endswith(".xlsx"):
            Path(output).write_bytes(adoption_workbook(year, report.counties, rows, report.answered))
        else:
            raise ValidationError("-o 的副檔名須為 .xlsx 或 .svg")
        click.echo(f"已寫出 {output}")
        return
    emit(data, as_json, lambda d: [
        f"已填答 {report.answered_count}／{len(report.counties)} 縣市",
        *(f"{case['case']:>6}  民國{case['year']}年  {case['title']}：" +
          ("、".join(f"{c}（{KINDS[k]}）" for c, k in case["answers"].items()) or "尚無")
          for case in d["matrix"])])


@main.command("opendata")
@click.option("--year", type=int, help="只匯出此年度（民國年；預設全部年度）")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "dictionary"]), required=True,
              help="csv 試算表、jsonl 每行一筆 JSON，或 dictionary 資料欄位說明（CSV）")
@click.option("--base-url", default="", help="案例網址的前綴，例如 https://forum.example.gov.tw")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出檔")
@uses_instance
def opendata(year, fmt, base_url, output):
    """匯出開放資料：已公布案例（不含未公布案例與聯絡資料），依政府資料開放授權條款釋出。"""
    from exports.opendata import dictionary_csv, open_data_file
    from kb.opendata import DATA_DICTIONARY, all_open_cases

    if fmt == "dictionary":
        data = dictionary_csv(DATA_DICTIONARY)
    else:
        data, _ = open_data_file(all_open_cases(year=year, base_url=base_url), fmt, year=year)
    Path(output).write_bytes(data)
    click.echo(f"已寫出 {output}")


@main.command()
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .pdf")
@font_option
@click.pass_obj
@uses_instance
def anthology(home, year, output, font):
    """產生年度標竿案例彙編 PDF（已核定的精進案例優先，否則用原送件內容）。"""
    from exports.anthology import build_anthology
    from kb.anthology import anthology_for_year

    book = anthology_for_year(year, uploads=uploads_folder(home))
    if not book.cases:
        raise ValidationError(f"{roc_year(year)}尚無已公布的標竿案例或佳作")
    result = build_anthology(book, font=font)
    Path(output).write_bytes(result.pdf)
    for warning in result.warnings:
        click.echo(f"注意：{warning}", err=True)
    if result.missing:
        click.echo(f"注意：字型缺少 {len(result.missing)} 個字：{''.join(sorted(result.missing))}",
                   err=True)
    click.echo(f"已寫出 {output}（{len(book.cases)} 件案例）")


@main.group()
def writeup():
    """精進案例的 Excel 檔（統一格式：段落與關鍵數據），供縣市離線撰寫。"""


@writeup.command("export")
@click.option("--case", "case_id", type=int, required=True, help="案例編號")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .xlsx")
@uses_instance
def writeup_export(case_id, output):
    """匯出已公布標竿案例或佳作的精進案例 Excel 檔，填入目前的內容（精進版，否則原送件內容）。"""
    from exports.writeup_workbook import build_writeup_workbook
    from kb.writeup_sheet import writeup_sheet

    Path(output).write_bytes(build_writeup_workbook(writeup_sheet(case_id)))
    click.echo(f"已寫出 {output}")


@writeup.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--case", "case_id", type=int, help="案例編號（預設為檔案記載的案例；不符即拒絕）")
@uses_instance
def writeup_import(file, case_id):
    """匯入填妥的精進案例 Excel 檔：取代段落與關鍵數據（全有或全無），須經主辦機關重新核定。"""
    from exports.writeup_workbook import read_writeup_file, read_writeup_workbook
    from kb.writeup_sheet import import_refined_writeup

    data = Path(file).read_bytes()
    if case_id is None:
        case_id = read_writeup_workbook(data)[0]
    if case_id is None:
        raise ValidationError("檔案沒有記載案例編號，請以 --case 指定")
    version = import_refined_writeup(case_id, read_writeup_file(data))
    click.echo(f"已匯入〈{version.case.title}〉的精進案例，待主辦機關核定")


# --- speaker registry -------------------------------------------------------------------------

def _speaker_line(s, with_contacts: bool = False) -> str:
    """One registry entry on one line: key, county, name, title, agency, years, cases, fields."""
    line = (f"{s.key}  {s.county}  {s.name}  {s.title}  {s.agency}  "
            f"民國{'、'.join(map(str, s.years))}年  {len(s.cases)} 件  {'、'.join(s.fields)}")
    if with_contacts and s.contacts is not None:
        line += "  " + "  ".join(v for v in (s.contacts.phone, s.contacts.email) if v)
    return line


@main.group(invoke_without_command=True)
@click.option("--field", help="領域（徵求類別）")
@click.option("--region", help="分區")
@click.option("--year", type=int, help="年度（民國年）")
@click.option("--name", help="姓名或服務機關含此文字")
@click.option("--with-contacts", is_flag=True, help="含電話與電子郵件（內部版，限承辦人員使用）")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="輸出的 .pdf 或 .xlsx（依副檔名決定格式）")
@font_option
@json_option
@click.pass_context
def speakers(ctx, field, region, year, name, with_contacts, output, font, as_json):
    """種籽師資庫：曾發表標竿案例的人員，依縣市與姓名排列；-o 輸出 PDF 或 Excel。

    不加 --with-contacts 為公開版（不含聯絡資料）。同一人多年度發表合併為一筆（依姓名與服務機關比對）；
    其他寫法以 forum speakers duplicates 查看、以 forum speakers merge 合併。
    """
    if ctx.invoked_subcommand is not None:
        return
    from kb.speakers import describe_filters, list_speakers

    suffix = _output_suffix(output, (".pdf", ".xlsx")) if output else None
    _open(ctx)
    filters = {"field": field, "region": region, "year": year, "name": name}
    found = list_speakers(**filters, with_contacts=with_contacts)
    if suffix is None:
        emit([s.as_dict() for s in found], as_json,
             lambda _: [*(_speaker_line(s, with_contacts) for s in found), f"共 {len(found)} 位"])
        return
    from exports.registry_workbook import build_registry_file

    Path(output).write_bytes(build_registry_file(
        found, suffix.lstrip("."), with_contacts=with_contacts,
        filters=describe_filters(**filters), font=font))
    if suffix == ".pdf":
        _print_font_notes(font, "".join(f"{s.label}{s.title}{''.join(s.fields)}"
                                        + "".join(c.title for c in s.cases) for s in found))
    click.echo(f"已寫出 {output}（{len(found)} 位，{'內部版' if with_contacts else '公開版'}）")


@speakers.command("duplicates")
@json_option
@uses_instance
def speakers_duplicates(as_json):
    """列出可能是同一人的兩筆師資（同名不同機關、同機關姓名差一字）與已合併的紀錄。"""
    from dataclasses import asdict

    from kb.rocdate import roc_time
    from kb.speakers import list_speaker_merges, possible_duplicates

    pairs, merges = possible_duplicates(), list_speaker_merges()
    data = {"pairs": [{"why": p.why, "target": p.target.as_dict(), "source": p.source.as_dict()}
                      for p in pairs],
            "merges": [asdict(m) for m in merges]}
    emit(data, as_json, lambda _: [
        *(f"{p.why}：\n  保留 {_speaker_line(p.target)}\n  併入 {_speaker_line(p.source)}"
          for p in pairs),
        f"可能重複 {len(pairs)} 組",
        *(f"已合併：{m.source_key} {m.source_label} → {m.target_key} {m.target_label}"
          f"（{m.reason}；{m.actor}，{roc_time(m.at)}）" for m in merges)])


@speakers.command("merge")
@click.argument("source")
@click.argument("target")
@click.option("--reason", required=True, help="合併理由（例如：機關改名、姓名誤植）")
@uses_instance
def speakers_merge(source, target, reason):
    """將代碼 SOURCE 的師資併入 TARGET：視為同一人，保留 TARGET 的代碼與姓名、機關寫法。"""
    from kb.speakers import merge_speakers

    record = merge_speakers(source, target, reason=reason)
    click.echo(f"已將「{record.source_label}」併入「{record.target_label}」（代碼 {target}）")


@speakers.command("unmerge")
@click.argument("source")
@uses_instance
def speakers_unmerge(source):
    """取消代碼 SOURCE 的合併，使其恢復為獨立的一筆。"""
    from kb.speakers import unmerge_speaker

    record = unmerge_speaker(source)
    click.echo(f"已取消合併：「{record.source_label}」恢復為獨立的一筆（代碼 {source}）")


# --- regional programme and certificates ------------------------------------------------------

def _print_font_notes(font: str | None, text: str) -> None:
    """Say on stderr when the PDF's font is not embedded or lacks characters of ``text``."""
    from exports.pdf import find_cjk_font, missing_glyphs

    choice = find_cjk_font(font)
    if choice.warning:
        click.echo(f"注意：{choice.warning}", err=True)
    missing = missing_glyphs(text, choice)
    if missing:
        click.echo(f"注意：字型缺少 {len(missing)} 個字：{''.join(sorted(missing))}", err=True)


def _output_suffix(output: str, allowed: tuple[str, ...]) -> str:
    """The output file's suffix, or ValidationError naming the allowed ones."""
    suffix = Path(output).suffix.lower()
    if suffix not in allowed:
        raise ValidationError(f"輸出檔「{output}」須為 {' 或 '.join(allowed)} 檔")
    return suffix


@main.group(invoke_without_command=True)
@click.option("--year", type=int, help="年度（民國年）")
@click.option("--region", help="分區")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="輸出的 .pdf 或 .xlsx（依副檔名決定格式）")
@click.option("--base-url", default="", help="網址前綴（如 https://forum.example.gov.tw）：PDF 印上成效評量問卷的 QR code")
@font_option
@click.pass_context
def agenda(ctx, year, region, output, font, base_url):
    """分區成果分享議程：forum agenda --year Y --region R -o 議程.pdf（或 .xlsx）。

    時間依年度議程範本計算，帶入該區的標竿案例、報告人與分區評選評審（與談人）。
    """
    if ctx.invoked_subcommand is not None:
        return
    if year is None or region is None or output is None:
        raise ValidationError("請以 --year、--region 與 -o 指定年度、分區與輸出檔")
    suffix = _output_suffix(output, (".pdf", ".xlsx"))
    from exports.programme import build_programme_pdf, region_agenda
    from kb.programme import region_programme

    _open(ctx)
    programme = region_agenda(region_programme(year, region))
    if suffix == ".pdf":
        from kb.survey import region_token

        token = region_token(year, programme.region) if base_url else None
        data = build_programme_pdf(programme, font=font, survey_url=(
            f"{base_url.rstrip('/')}/s/{token}" if token else ""))
        _print_font_notes(font, "".join([programme.forum_name, programme.venue, *(
            item.title + item.people for item in programme.items)]))
    else:
        from exports.agenda_workbook import build_agenda_workbook

        data = build_agenda_workbook(programme)
    Path(output).write_bytes(data)
    click.echo(f"已寫出 {output}（{roc_year(year)}{programme.region}議程：{programme.date_text}，"
               f"{programme.venue}）")


@agenda.command("template")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--load", "source", type=click.Path(exists=True, dir_okay=False),
              help="以 JSON 檔（與 --json 輸出同格式的 start、items）取代議程範本")
@json_option
@uses_instance
def agenda_template(year, source, as_json):
    """顯示（或以 --load 設定）年度議程範本：開始時間與各列的類型、名稱、分鐘數。"""
    from exports.programme import time_span
    from kb.programme import programme_settings, save_programme_template
    from kb.schedule import KINDS, parse_clock, schedule_times

    if source:
        loaded = json.loads(Path(source).read_text("utf-8"))
        save_programme_template(year, loaded.get("start"), loaded.get("items") or [])
        click.echo(f"已更新{roc_year(year)}議程範本", err=True)
    settings = programme_settings(year)
    times = schedule_times(parse_clock(settings["start"]), [i["minutes"] for i in settings["items"]])
    emit(settings, as_json, lambda data: [
        f"{time_span(*span):<11}  {item['title']}（{KINDS[item['kind']]}，{item['minutes']} 分鐘）"
        + (f"  {item['people']}" if item["people"] else "")
        for item, span in zip(data["items"], times)])


@agenda.command("venue")
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("--region", required=True, help="分區")
@click.option("--venue", default="", help="地點（空白表示未定）")
@click.option("--date", "day", default="", help="日期，以民國年填寫，例如 104/10/02 或 民國104年10月2日（空白表示未定）")
@uses_instance
def agenda_venue(year, region, venue, day):
    """設定分區成果分享的地點與日期。"""
    from kb.programme import save_region_venue

    save_region_venue(year, region, venue, day)
    click.echo(f"已設定{roc_year(year)}{region}的地點與日期")


@main.command()
@click.option("--year", type=int, required=True, help="年度（民國年）")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .pdf")
@font_option
@uses_instance
def certificates(year, output, font):
    """產生年度獎狀 PDF：每件已公布的標竿案例與佳作一頁（機關、案例名稱、獎項、民國日期）。"""
    from exports.programme import build_certificates, certificate_text
    from kb.programme import year_certificates

    _output_suffix(output, (".pdf",))
    forum_name, items = year_certificates(year)
    Path(output).write_bytes(build_certificates(items, forum_name=forum_name, year=year, font=font))
    _print_font_notes(font, "".join(certificate_text(item, forum_name=forum_name, year=year)
                                    for item in items))
    click.echo(f"已寫出 {output}（{roc_year(year)}獎狀 {len(items)} 張）")



# --- users ------------------------------------------------------------------------------------

@main.group()
def users():
    """帳號管理。"""


@users.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(list(ROLES)), required=True, help="角色")
@click.option("--name", required=True, help="姓名")
@click.option("--county", help="縣市（縣市承辦人必填）")
@click.option("--counties", help="評審：有利益關係的縣市，以逗號分隔")
@click.option("--fields", help="評審：專長領域（徵求類別），以逗號分隔")
@click.option("--password-stdin", is_flag=True, help="從標準輸入讀取密碼")
@uses_instance
def users_add(login, role, name, county, counties, fields, password_stdin):
    """新增帳號 LOGIN。"""
    if (counties or fields) and role != "judge":
        raise ValidationError("--counties 與 --fields 只適用於評審（--role judge）")
    with database.atomic():
        user = add_user(login, role=role, name=name, county=county,
                        password=read_secret(password_stdin))
        if counties or fields:
            set_judge_profile(login, counties=split_list(counties) if counties else None,
                              fields=split_list(fields) if fields else None)
    click.echo(f"已新增帳號 {user.login}（{ROLES[user.role]}）")


@users.command("judge")
@click.argument("login")
@click.option("--title", help="職稱")
@click.option("--affiliation", help="服務單位")
@click.option("--counties", help="有利益關係的縣市，以逗號分隔（空字串表示無）")
@click.option("--fields", help="專長領域（徵求類別），以逗號分隔")
@uses_instance
def users_judge(login, title, affiliation, counties, fields):
    """修改評審 LOGIN 的職稱、服務單位、利益關係縣市與專長領域。"""
    profile = set_judge_profile(login, title=title, affiliation=affiliation,
                                counties=split_list(counties) if counties is not None else None,
                                fields=split_list(fields) if fields is not None else None)
    click.echo(f"已更新 {login}：利益關係縣市 {'、'.join(profile.counties) or '無'}；"
               f"專長 {'、'.join(profile.fields) or '未設定'}")


@users.command("list")
@json_option
@uses_instance
def users_list(as_json):
    """列出帳號。"""
    rows = [user_dict(u) for u in list_users()]
    emit(rows, as_json, lambda rows: (
        f"{row['login']:<16} {row['role_label']:<8} {row['name']} {row['county'] or ''}"
        + ("" if row["active"] else "（已停用）") for row in rows))


@users.command("passwd")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="從標準輸入讀取密碼")
@uses_instance
def users_passwd(login, password_stdin):
    """變更帳號 LOGIN 的密碼。"""
    set_password(login, read_secret(password_stdin))
    click.echo(f"已變更 {login} 的密碼")


@users.command("deactivate")
@click.argument("login")
@uses_instance
def users_deactivate(login):
    """停用帳號 LOGIN（保留其歷史紀錄）。"""
    set_user_active(login, False)
    click.echo(f"已停用帳號 {login}")


@users.command("reactivate")
@click.argument("login")
@uses_instance
def users_reactivate(login):
    """重新啟用帳號 LOGIN。"""
    set_user_active(login, True)
    click.echo(f"已重新啟用帳號 {login}")


@users.command("reset")
@click.argument("login")
@uses_instance
def users_reset(login):
    """為帳號 LOGIN 產生臨時密碼（只顯示這一次；下次登入時須變更）。"""
    click.echo(f"{login} 的臨時密碼：{reset_password(login)}（下次登入時須變更）")


@users.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只檢查並報告，不寫入")
@json_option
@uses_instance
def users_import(file, dry_run, as_json):
    """從 Excel 匯入評審與縣市承辦人；任何一格有誤即全部不寫入，再次匯入則更新。"""
    from exports.account_workbook import read_account_workbook

    report = import_accounts(read_account_workbook(Path(file).read_bytes()), dry_run=dry_run)
    emit(report.as_dict(), as_json, lambda r: [
        f"{'（試算，未寫入）' if dry_run else ''}新增 {len(r['created'])} 個帳號，"
        f"更新 {len(r['updated'])} 個，未變動 {len(r['unchanged'])} 個",
        *(f"  新增 {row['login']}　臨時密碼：{row['password'] or '（試算不產生）'}"
          for row in r["created"]),
        *(f"  更新 {login}" for login in r["updated"])])


@users.command("template")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="輸出的 .xlsx")
@uses_instance
def users_template(output):
    """產生評審與縣市承辦人匯入用的 Excel 範本。"""
    from exports.account_workbook import build_account_template

    Path(output).write_bytes(build_account_template(account_choices()))
    click.echo(f"已寫出 {output}")


# --- demo data --------------------------------------------------------------------------------

@main.command("demo-data")
@click.option("--cases", "count", type=int, help="另外產生 N 件案例（效能測試用）")
@click.option("--year", type=int, default=104, show_default=True, help="產生案例的年度")
@click.option("--seed", type=int, default=0, show_default=True, help="亂數種子")
@uses_instance
def demo_data(count, year, seed):
    """載入示範資料；加 --cases N 則另外產生 N 件案例。"""
    if count is None:
        summary = _load_demo()
        click.echo(f"示範資料：{len(summary.years)} 個年度，{summary.cases} 件案例")
        return
    from seeds.demo import load_cases

    with click.progressbar(length=count, label="產生案例", file=sys.stderr) as bar:
        created = load_cases(count, seed=seed, year=year,
                             progress=lambda done, total: bar.update(done - bar.pos))
    click.echo(f"已產生 {created} 件案例（{roc_year(year)}）")


# --- the 評分總表 ------------------------------------------------------------------------------

def session_options(command):
    """--year, --stage and --region (a region's on-site session; none for the screening)."""
    command = click.option("--region", help="分區（分區評選必填；書面篩選不填）")(command)
    return year_stage_options(command)


@main.group(invoke_without_command=True)
@click.option("--year", type=int, help="年度（民國年）")
@click.option("--stage", "key", type=STAGE_CHOICE, help="screening（書面篩選）或 onsite（分區評選）")
@click.option("--region", help="只印此分區（分區評選）；不填則每分區一組頁面")
@click.option("--codes", is_flag=True, help="以委員代號（委員A、委員B…）代替姓名")
@click.option("--key", "code_key", is_flag=True, help="改為輸出委員代號對照表（限存檔）")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="輸出的 .pdf 或 .xlsx（依副檔名決定格式）")
@font_option
@click.pass_context
def minutes(ctx, year, key, region, codes, code_key, output, font):
    """評分總表：forum minutes --year Y --stage S [--region R] [--codes] -o 總表.pdf（或 .xlsx）。

    依名次列出每件案例、各委員總分（序位法為序位）、依年度方式計算的階段成績、結果與理由、
    主辦機關調整、評分差異與處置方式，及出席委員簽名欄。列出的評分差異尚未記錄處置方式時
    不能列印（見 forum minutes handle）。
    """
    if ctx.invoked_subcommand is not None:
        return
    if year is None or key is None or output is None:
        raise ValidationError("請以 --year、--stage 與 -o 指定年度、階段與輸出檔")
    from exports.minutes import build_code_key_pdf, build_minutes_pdf, build_minutes_workbook
    from kb.minutes import judge_code_key, minutes_record

    _open(ctx)
    if code_key:
        _output_suffix(output, (".pdf",))
        data = build_code_key_pdf(year, get_stage(year, key).name, judge_code_key(year, key),
                                  font=font)
        Path(output).write_bytes(data)
        click.echo(f"已寫出 {output}（委員代號對照表，限存檔）")
        return
    suffix = _output_suffix(output, (".pdf", ".xlsx"))
    record = minutes_record(year, key, region, by_code=codes)
    if suffix == ".pdf":
        data = build_minutes_pdf(record, font=font)
        _print_font_notes(font, "".join(row.title + row.reason for session in record.sessions
                                        for row in session.rows))
    else:
        data = build_minutes_workbook(record)
    Path(output).write_bytes(data)
    click.echo(f"已寫出 {output}（{record.stage_name}評分總表，{len(record.sessions)} 個場次）")


@minutes.command("differences")
@session_options
@json_option
@uses_instance
def minutes_differences(year, key, region, as_json):
    """列出場次的評分差異與已記錄的處置方式（subject 供 forum minutes handle 使用）。"""
    from kb.minutes import minutes_record

    record = minutes_record(year, key, region, for_print=False)
    data = [{"region": session.region, "subject": d.subject, "text": d.text,
             "handling": d.handling, "note": d.note}
            for session in record.sessions for d in session.differences]
    emit(data, as_json, lambda rows: [
        f"{row['subject']}  {row['text']}  處置方式：{row['handling'] or '（未記錄）'}"
        for row in rows] or ["沒有評分差異"])


@minutes.command("handle")
@session_options
@click.option("--subject", required=True, help="評分差異（forum minutes differences 所列）")
@click.option("--handling", required=True, help="處置方式：維持原評分、提會討論後維持、"
                                                "提會討論後調整、請委員複評、其他")
@click.option("--note", default="", help="說明（處置方式為「其他」時必填）")
@uses_instance
def minutes_handle(year, key, region, subject, handling, note):
    """記錄一項評分差異的處置方式。"""
    from kb.minutes import record_handling

    record_handling(year, key, region, subject, handling, note)
    click.echo(f"已記錄 {subject} 的處置方式：{handling}")


@minutes.command("session")
@session_options
@click.option("--date", "held_on", help="日期 YYYY-MM-DD")
@click.option("--venue", help="地點")
@click.option("--absent", help="缺席評審帳號，以逗號分隔（空字串表示全員出席）")
@uses_instance
def minutes_session(year, key, region, held_on, venue, absent):
    """記錄場次的日期、地點與缺席評審。"""
    from kb.minutes import record_session

    record_session(year, key, region, held_on=held_on, venue=venue,
                   absent=None if absent is None else split_list(absent))
    click.echo("已記錄場次資料")
