"""`forum nominate`, `select`, `publish`, `stats` and `results`: from scores to published results."""
from __future__ import annotations

from pathlib import Path

import click

from kb.errors import ValidationError
from kb.rocdate import roc_year
from kb.scores import stage_progress
from kb.selection import (change_nominations, compute_selection, confirm_nominations,
                          judge_statistics, nomination_flags, override_outcome,
                          propose_nominations, publish_results)
from kb.text import split_list
from web.cli.base import emit, json_option, main, open_home, uses_instance, year_stage_options


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
    open_home(ctx)
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


