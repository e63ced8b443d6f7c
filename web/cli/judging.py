"""`forum assign`, `stage`, `scoresheet`, `scores` and `minutes`: judges, their scores and the
score sessions' minutes (評分總表)."""
from __future__ import annotations

from pathlib import Path

import click

from kb.assignments import assign_onsite, assign_screening, assignment_dict, list_assignments
from kb.errors import ValidationError
from kb.judges import screening_panel, set_screening_panel
from kb.rocdate import roc_year
from kb.scores import stage_progress
from kb.selection import stage_score_table
from kb.stages import get_stage, set_stage_state, stage_criteria
from kb.text import split_list
from web.cli.base import (STAGE_CHOICE, emit, font_option, json_option, main, open_home,
                          output_suffix, print_font_notes, uses_instance, year_stage_options)


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
    open_home(ctx)
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

    open_home(ctx)
    if code_key:
        output_suffix(output, (".pdf",))
        data = build_code_key_pdf(year, get_stage(year, key).name, judge_code_key(year, key),
                                  font=font)
        Path(output).write_bytes(data)
        click.echo(f"已寫出 {output}（委員代號對照表，限存檔）")
        return
    suffix = output_suffix(output, (".pdf", ".xlsx"))
    record = minutes_record(year, key, region, by_code=codes)
    if suffix == ".pdf":
        data = build_minutes_pdf(record, font=font)
        print_font_notes(font, "".join(row.title + row.reason for session in record.sessions
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
