"""`forum users`: accounts, one by one or from a workbook."""
from __future__ import annotations

from pathlib import Path

import click

from kb.account_import import account_choices, import_accounts
from kb.assignments import set_judge_profile
from kb.db import database
from kb.errors import ValidationError
from kb.text import split_list
from kb.users import (ROLES, add_user, list_users, reset_password, set_password, set_user_active,
                      user_dict)
from web.cli.base import emit, json_option, main, read_secret, uses_instance


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


