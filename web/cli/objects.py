"""`forum adoption`, `opendata`, `anthology`, `writeup` and `speakers`: the knowledge objects."""
from __future__ import annotations

from pathlib import Path

import click

from kb.errors import ValidationError
from kb.instance import uploads_folder
from kb.rocdate import roc_year
from web.cli.base import (emit, font_option, json_option, main, open_home, output_suffix,
                          print_font_notes, uses_instance)


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

    suffix = output_suffix(output, (".pdf", ".xlsx")) if output else None
    open_home(ctx)
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
        print_font_notes(font, "".join(f"{s.label}{s.title}{''.join(s.fields)}"
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


