"""`forum edition`: a year's forum and its settings."""
from __future__ import annotations

import json
from pathlib import Path

import click

from kb.editions import (create_edition_from, edition_settings, get_edition, list_editions,
                         set_intake_open)
from kb.errors import ValidationError
from kb.settings import QUOTA_LABELS
from kb.settings_change import preview_settings, replace_settings
from kb.rocdate import roc_year
from web.cli.base import emit, json_option, main, uses_instance


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


