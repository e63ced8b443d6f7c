"""`forum participants`, `survey`, `letters`, `agenda` and `certificates`: the regional forums and
what they print."""
from __future__ import annotations

import json
from pathlib import Path

import click

from kb.errors import ValidationError
from kb.rocdate import roc_year
from web.cli.base import (emit, font_option, json_option, main, open_home, output_suffix,
                          print_font_notes, uses_instance)


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


# --- regional programme and certificates ------------------------------------------------------

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
    suffix = output_suffix(output, (".pdf", ".xlsx"))
    from exports.programme import build_programme_pdf, region_agenda
    from kb.programme import region_programme

    open_home(ctx)
    programme = region_agenda(region_programme(year, region))
    if suffix == ".pdf":
        from kb.survey import region_token

        token = region_token(year, programme.region) if base_url else None
        data = build_programme_pdf(programme, font=font, survey_url=(
            f"{base_url.rstrip('/')}/s/{token}" if token else ""))
        print_font_notes(font, "".join([programme.forum_name, programme.venue, *(
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

    output_suffix(output, (".pdf",))
    forum_name, items = year_certificates(year)
    Path(output).write_bytes(build_certificates(items, forum_name=forum_name, year=year, font=font))
    print_font_notes(font, "".join(certificate_text(item, forum_name=forum_name, year=year)
                                    for item in items))
    click.echo(f"已寫出 {output}（{roc_year(year)}獎狀 {len(items)} 張）")



