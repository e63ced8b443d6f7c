"""Participants of the regional forums: staff set registration and see counts, county contacts
register their people (form or Excel), staff check people in from a phone and print the
sign-in sheets and name cards. Handlers call kb.participants and exports.participants."""
from __future__ import annotations


from flask import abort, flash, redirect, render_template, request, url_for

from exports.participants import (Attendee, attendance_certificates, name_cards,
                                  participant_list_workbook, participant_template, read_attendance,
                                  read_participant_list, sign_in_sheet)
from kb.editions import edition_regions, find_county, get_edition
from kb.errors import ValidationError
from kb.participants import (MEALS, STATUSES, ParticipantInput, attendees_for_certificates,
                             cancel_participant, check_in, count_participants, import_attendance,
                             list_participants, move_participant, open_registration,
                             participant_rows, register_participants, registration_counts)
from kb.rocdate import parse_roc_date, roc_date, roc_year
from kb.policy import is_county_contact, is_staff
from web.auth import current_actor
from web.downloads import send_download
from web.paging import requested_page
from web.views import id_urls

PEOPLE_PER_PAGE = 50  # on the staff list, each with its move and cancel buttons


BACK = ("region", "q", "page")  # the staff list's filters and page, posted back as back_<name>


def _redirect_back(year: int):
    """Back to the list the button was on: a county contact's registration page, or the staff
    list at the filters and page it showed (the move form's own ``region`` is where to)."""
    if not is_staff(current_actor()):
        return redirect(url_for("participants.register", year=year))
    back = {name: request.form[f"back_{name}"] for name in BACK
            if request.form.get(f"back_{name}")}
    return redirect(url_for("participants.page", year=year, **back))


def staff_page(year: int):
    """Staff: each region's registration settings and counts, everyone registered, downloads."""
    region, query = request.args.get("region") or None, request.args.get("q", "")
    asked = dict(viewer=current_actor(), region=region, query=query)
    paging = requested_page(count_participants(year, **asked), PEOPLE_PER_PAGE)
    people = participant_rows(year, **asked, page=paging.page, size=PEOPLE_PER_PAGE)
    return render_template("participants/staff.html", year=year, counts=registration_counts(year),
                           people=people, paging=paging, region=region,
                           regions=[r.name for r in edition_regions(get_edition(year))],
                           STATUSES=STATUSES, query=query,
                           move_url=id_urls("participants.move", "participant_id", year=year),
                           cancel_url=id_urls("participants.cancel", "participant_id", year=year),
                           back={name: value for name, value in
                                 zip(BACK, (region, query, paging.page > 1 and paging.page))
                                 if value})


def window_save(year: int):
    """Staff set a region's seats, deadline and whether registration is open."""
    raw = request.form.get("seats", "").strip()
    try:
        if not raw.isdigit():
            raise ValidationError("名額須為正整數")
        open_registration(year, request.form.get("region", ""), seats=int(raw),
                          deadline=parse_roc_date(request.form.get("deadline", ""), field="報名截止日"),
                          is_open=request.form.get("is_open") == "1", actor=current_actor())
    except ValidationError as error:
        flash("；".join(p.message for p in error.problems), "error")
    else:
        flash("已儲存報名設定", "success")
    return redirect(url_for("participants.page", year=year))


def register_page(year: int):
    """A county contact registers their county's people, one by one or by Excel list."""
    actor = current_actor()
    county = actor.county.name if is_county_contact(actor) else request.values.get("county", "")
    if not county:
        abort(404)
    _, region = find_county(get_edition(year), county)
    if request.method == "POST":
        try:
            if request.files.get("file") and request.files["file"].filename:
                people = read_participant_list(request.files["file"].read())
            else:
                people = [ParticipantInput(**{f: request.form.get(f, "") for f in
                                              ("name", "agency", "title", "email", "meal")})]
            done = register_participants(year, county, people, actor=actor)
        except ValidationError as error:
            return render_template("participants/register.html", year=year, county=county,
                                   region=region.name, errors=[p.message for p in error.problems],
                                   people=_own(year, county), meals=MEALS,
                                   STATUSES=STATUSES, form=request.form), 400
        flash(f"已報名 {done['added']} 位（其中候補 {done['waiting']} 位），更新 {done['updated']} 位", "success")
        return redirect(url_for("participants.register", year=year,
                                **({"county": county} if is_staff(actor) else {})))
    return render_template("participants/register.html", year=year, county=county,
                           region=region.name, errors=[], people=_own(year, county), meals=MEALS,
                           STATUSES=STATUSES, form={})


def _own(year: int, county: str):
    return [p for p in list_participants(year, viewer=current_actor()) if p.county.name == county]


def template_download(year: int):
    """The Excel list to fill in for the contact's county."""
    actor = current_actor()
    county = actor.county.name if is_county_contact(actor) else request.args.get("county", "")
    _, region = find_county(get_edition(year), county)
    return send_download(participant_template(year, county, region.name),
                         f"成果分享報名名單_{roc_year(year)}_{county}.xlsx")


def cancel(year: int, participant_id: int):
    """Cancel a registration (the first waiting person moves up)."""
    person = cancel_participant(participant_id, actor=current_actor())
    flash(f"已取消 {person.name} 的報名", "success")
    return _redirect_back(year)


def move(year: int, participant_id: int):
    """Staff move a person to another region's forum."""
    try:
        person = move_participant(participant_id, request.form.get("region", ""),
                                  actor=current_actor())
    except ValidationError as error:
        flash(str(error), "error")
    else:
        flash(f"已將 {person.name} 改至{person.region.name}（{STATUSES[person.status]}）", "success")
    return _redirect_back(year)


def checkin_page(year: int, region: str):
    """The day's check-in, sized for a phone: search by name, one button per person."""
    if region not in {r.name for r in edition_regions(get_edition(year))}:
        abort(404)
    if request.method == "POST":
        person = check_in(int(request.form.get("participant", "0") or 0),
                          request.form.get("attended") == "1", actor=current_actor())
        flash(f"{person.name}：{'已報到' if person.attended else '已取消報到'}", "success")
        return redirect(url_for("participants.checkin", year=year, region=region,
                                q=request.form.get("q", "")))
    query = request.args.get("q", "")
    people = [p for p in participant_rows(year, viewer=current_actor(), region=region, query=query)
              if p.status == "registered"]
    return render_template("participants/checkin.html", year=year, region=region, people=people,
                           query=query)


def _attendees(year: int, region: str) -> list[Attendee]:
    return [Attendee(p.county.name, p.name, p.agency, p.title)
            for p in list_participants(year, viewer=current_actor(), region=region)
            if p.status == "registered"]


def printout(year: int, region: str, kind: str):
    """A region's sign-in sheet or name cards (PDF)."""
    people = _attendees(year, region)
    if not people:
        return render_template("error.html", title="沒有報名人員",
                               message=f"{region}尚無已報名的人員"), 400
    title = f"{roc_year(year)}地方治理標竿論壇{region}成果分享"
    data = sign_in_sheet(f"{title}　簽到表", people) if kind == "signin" else name_cards(title, people)
    name = "簽到表" if kind == "signin" else "名牌"
    return send_download(data, f"{name}_{roc_year(year)}_{region}.pdf")


def list_download(year: int):
    """Every participant of the year as a workbook (staff only: it holds contact details)."""
    rows = [{"region": p.region.name, "county": p.county.name, "name": p.name,
             "agency": p.agency, "title": p.title, "email": p.email, "meal": p.meal,
             "status": STATUSES[p.status], "attended": p.attended}
            for p in list_participants(year, viewer=current_actor(), include_cancelled=True)]
    return send_download(participant_list_workbook(rows), f"成果分享報名名單_{roc_year(year)}.xlsx")


def attendance_upload(year: int):
    """Staff upload the participant list with its 報到 column marked (from the signed sheet)."""
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationError("請選擇已標記報到的名單檔案")
        present = import_attendance(year, read_attendance(upload.read()), actor=current_actor())
    except ValidationError as error:
        flash("無法匯入報到：" + "；".join(p.message for p in error.problems), "error")
    else:
        flash(f"已匯入報到紀錄：{present} 位出席", "success")
    return redirect(url_for("participants.page", year=year))


def certificates(year: int, region: str):
    """Certificates of attendance (研習證明) for everyone checked in at a region's forum."""
    try:
        day, people = attendees_for_certificates(year, region)
    except ValidationError as error:
        return render_template("error.html", title="無法製作研習證明", message=str(error)), 400
    data = attendance_certificates(f"{roc_year(year)}地方治理標竿論壇{region}成果分享",
                                   roc_date(day, prefix="中華民國"),
                                   [Attendee(p.county.name, p.name, p.agency, p.title) for p in people])
    return send_download(data, f"研習證明_{roc_year(year)}_{region}.pdf")
