"""`forum cases`: the case-list template, importing, listing and showing cases."""
from __future__ import annotations

from pathlib import Path

import click

from kb.cases import SECTIONS, case_detail, case_summary, find_cases, get_case, import_cases
from kb.editions import get_edition, latest_edition
from kb.errors import ValidationError
from kb.rocdate import roc_year
from web.cli.base import emit, json_option, main, uses_instance


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


