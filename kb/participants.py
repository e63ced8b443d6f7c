"""Participants (調訓學員) of a year's regional forums: registration with seats and a waiting
list, check-in on the day, and the deletion of contact details after the retention period.

Staff open each region's registration (seats, deadline). County contacts register their own
county's people, who go to the region their county belongs to that year; beyond the seats they
wait, in the order they came, and move up when someone cancels. Only staff and the participant's
own county contact see contact details.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from peewee import fn

from kb.audit import write_audit, write_audits
from kb.db import database, for_update, insert_rows
from kb.editions import county_members, edition_regions, find_county, get_edition
from kb.errors import NotFound, PermissionDenied, Problem, ValidationError, echoed
from kb.models import County, Edition, Participant, Region, RegistrationWindow, User, now
from kb.policy import can_act_for_county, can_see_participants, is_county_contact, require_staff
from kb.rocdate import roc_date, roc_year
from kb.text import clean_text

MEALS = ("葷食", "素食", "不用餐")
STATUSES = {"registered": "已報名", "waiting": "候補", "cancelled": "已取消"}
MAX_FIELD = 100
MAX_SEATS = 5000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class ParticipantInput:
    """One person as a county contact types them (``where`` locates a spreadsheet row)."""

    name: str
    agency: str
    title: str = ""
    email: str = ""
    meal: str = "葷食"
    where: str = ""


def _check_county(actor: User | None, county: County) -> None:
    if not can_act_for_county(actor, county.id):
        raise PermissionDenied("縣市承辦人只能為本縣市的人員報名")


def _region(edition: Edition, name: str) -> Region:
    region = next((r for r in edition_regions(edition) if r.name == name), None)
    if region is None:
        raise ValidationError(f"{roc_year(edition.year)}沒有分區「{echoed(name)}」")
    return region


def open_registration(year: int, region: str, *, seats: int, deadline: date | None,
                      is_open: bool = True, actor: User | None = None) -> RegistrationWindow:
    """Set a region's registration: seats, deadline (inclusive), open or closed; audited."""
    require_staff(actor, "設定報名")
    edition = get_edition(year)
    chosen = _region(edition, region)
    if not 1 <= seats <= MAX_SEATS:
        raise ValidationError([Problem(f"名額須為 1 至 {MAX_SEATS} 人", "seats")])
    with database.atomic():
        window = RegistrationWindow.get_or_none((RegistrationWindow.edition == edition)
                                                & (RegistrationWindow.region == chosen))
        before = None if window is None else {"seats": window.seats, "is_open": window.is_open,
                                              "deadline": str(window.deadline or "")}
        if window is None:
            window = RegistrationWindow.create(edition=edition, region=chosen, seats=seats,
                                               deadline=deadline, is_open=is_open)
        else:
            RegistrationWindow.update(seats=seats, deadline=deadline, is_open=is_open).where(
                RegistrationWindow.id == window.id).execute()
        write_audit(actor, "open_registration", "registrationwindow", window.id, before=before,
                    after={"seats": seats, "is_open": is_open, "deadline": str(deadline or "")})
        _promote(edition, chosen)
    return RegistrationWindow.get_by_id(window.id)


def _window(edition: Edition, region: Region) -> RegistrationWindow | None:
    return RegistrationWindow.get_or_none((RegistrationWindow.edition == edition)
                                          & (RegistrationWindow.region == region))


def _check_input(person: ParticipantInput) -> tuple[ParticipantInput, list[Problem]]:
    cleaned = ParticipantInput(*(clean_text(getattr(person, f)) for f in
                                 ("name", "agency", "title", "email", "meal")), where=person.where)
    cleaned.meal = cleaned.meal or "葷食"
    where = f"{person.where}：" if person.where else ""
    problems = []
    for name, label in (("name", "姓名"), ("agency", "服務機關")):
        if not getattr(cleaned, name):
            problems.append(Problem(f"{where}{label}必須填寫", name))
    for name, label in (("name", "姓名"), ("agency", "服務機關"), ("title", "職稱"), ("email", "電子郵件")):
        if len(getattr(cleaned, name)) > MAX_FIELD:
            problems.append(Problem(f"{where}{label}最多 {MAX_FIELD} 字", name))
    if cleaned.email and not EMAIL.match(cleaned.email):
        problems.append(Problem(f"{where}電子郵件「{echoed(cleaned.email)}」格式不正確", "email"))
    if cleaned.meal not in MEALS:
        problems.append(Problem(f"{where}用餐須為 {'、'.join(MEALS)}", "meal"))
    return cleaned, problems


def register_participants(year: int, county_name: str, people: list[ParticipantInput], *,
                          actor: User | None = None, today: date | None = None) -> dict:
    """Register a county's people, all or nothing; a person already registered (same name and
    agency) is updated instead of added. Returns counts of added, updated and waiting."""
    return register_county_lists(year, [(county_name, people)], actor=actor, today=today)[0]


def _checked_people(people: list[ParticipantInput]) -> tuple[list[ParticipantInput], list[Problem]]:
    """One county's list cleaned, and its problems (a person listed twice is one)."""
    cleaned, problems, seen = [], [], set()
    for person in people:
        one, found = _check_input(person)
        problems += found
        key = (one.name, one.agency)
        if key in seen:
            problems.append(Problem(f"{one.where or one.name}：{one.name}（{one.agency}）重複", "name"))
        seen.add(key)
        cleaned.append(one)
    if not people:
        problems.append(Problem("沒有要報名的人員"))
    return cleaned, problems


def register_county_lists(year: int, lists: list[tuple[str, list[ParticipantInput]]], *,
                          actor: User | None = None, today: date | None = None) -> list[dict]:
    """Register several counties' lists at once, each as :func:`register_participants` does
    (in the order given: a region's seats go to the earlier lists first), all or nothing, in a
    fixed number of statements; one audit record per county. Returns each list's counts."""
    edition = get_edition(year)
    members = county_members(edition)
    windows = {w.region_id: w for w in RegistrationWindow.select().where(
        RegistrationWindow.edition == edition)}
    today = today or date.today()
    checked, problems = [], []
    for county_name, people in lists:
        county, region = find_county(edition, county_name, members=members)
        _check_county(actor, county)
        window = windows.get(region.id)
        if window is None or not window.is_open or (window.deadline and today > window.deadline):
            raise ValidationError(f"{region.name}成果分享目前未開放報名"
                                  + (f"（報名已於{roc_date(window.deadline)}截止）"
                                     if window and window.deadline else ""))
        cleaned, found = _checked_people(people)
        problems += found
        checked.append((county, region, window, cleaned))
    if problems:
        raise ValidationError(problems)
    counts = []
    with database.atomic():
        _lock_windows(edition, [region.id for _, region, *_ in checked])
        taken = _taken_seats(edition)
        names = list({person.name for *_, cleaned in checked for person in cleaned})
        known = {(p.name, p.agency): p for p in Participant.select().where(
            (Participant.edition == edition) & Participant.name.in_(names))}
        new: dict[tuple[str, str], dict] = {}
        audits = []
        for county, region, window, cleaned in checked:
            added = updated = waiting = 0
            for person in cleaned:
                key = (person.name, person.agency)
                values = {"title": person.title, "email": person.email, "meal": person.meal,
                          "updated_at": now()}
                existing = known.get(key)
                if key in new or (existing is not None and existing.status != "cancelled"):
                    if key in new:
                        new[key].update(values)
                    else:
                        Participant.update(**values).where(Participant.id == existing.id).execute()
                    updated += 1
                    continue
                status = "registered" if taken.get(region.id, 0) < window.seats else "waiting"
                taken[region.id] = taken.get(region.id, 0) + (status == "registered")
                waiting += status == "waiting"
                if existing is not None:
                    Participant.update(status=status, county=county, region=region, **values).where(
                        Participant.id == existing.id).execute()
                else:
                    new[key] = {"edition": edition.id, "region": region.id, "county": county.id,
                                "name": person.name, "agency": person.agency, "status": status,
                                "attended": False, "created_by": actor.login if actor else "命令列",
                                "created_at": values["updated_at"], **values}
                added += 1
            counts.append({"added": added, "updated": updated, "waiting": waiting})
            audits.append((None, None, {"year": year, "county": county.name, **counts[-1]}, ""))
        if new:
            fields = list(next(iter(new.values())))
            insert_rows(Participant, [Participant._meta.fields[name] for name in fields],
                        [tuple(row[name] for name in fields) for row in new.values()])
        write_audits(actor, "register_participants", "participant", audits)
    return counts


def _lock_windows(edition: Edition, region_ids) -> None:
    """Hold the regions' registration windows until the transaction ends: a seat is counted
    and then given, so two writers for one region must take turns (on PostgreSQL two
    transactions could otherwise both count the last free seat)."""
    list(for_update(RegistrationWindow.select(RegistrationWindow.id).where(
        (RegistrationWindow.edition == edition) & RegistrationWindow.region.in_(sorted(set(region_ids))))
        .order_by(RegistrationWindow.id)))


def _taken_seats(edition: Edition) -> dict[int, int]:
    """The year's registered people per region id."""
    return dict(Participant.select(Participant.region, fn.COUNT(Participant.id))
                .where((Participant.edition == edition) & (Participant.status == "registered"))
                .group_by(Participant.region).tuples())


def _registered_count(edition: Edition, region: Region) -> int:
    return Participant.select().where((Participant.edition == edition)
                                      & (Participant.region == region)
                                      & (Participant.status == "registered")).count()


def _promote(edition: Edition, region: Region) -> None:
    """Move people up from the waiting list, oldest first, while seats are free."""
    _lock_windows(edition, [region.id])
    window = _window(edition, region)
    if window is None:
        return
    free = window.seats - _registered_count(edition, region)
    if free <= 0:
        return
    waiting = (Participant.select(Participant.id).where(
        (Participant.edition == edition) & (Participant.region == region)
        & (Participant.status == "waiting")).order_by(Participant.id).limit(free))
    Participant.update(status="registered", updated_at=now()).where(
        Participant.id.in_([p.id for p in waiting])).execute()


def _participant(participant_id: int, actor: User | None) -> Participant:
    person = Participant.get_or_none(Participant.id == participant_id)
    if person is None or (is_county_contact(actor)
                          and not is_county_contact(actor, person.county_id)):
        raise NotFound(f"找不到報名資料 {participant_id}")
    _check_county(actor, person.county)
    return person


def cancel_participant(participant_id: int, *, actor: User | None = None) -> Participant:
    """Cancel a registration; the first person waiting in that region moves up."""
    with database.atomic():
        person = _participant(participant_id, actor)
        Participant.update(status="cancelled", updated_at=now()).where(
            Participant.id == person.id).execute()
        write_audit(actor, "cancel_participant", "participant", person.id,
                    before={"status": person.status}, after={"status": "cancelled"})
        _promote(person.edition, person.region)
    return Participant.get_by_id(person.id)


def move_participant(participant_id: int, region: str, *, actor: User | None = None) -> Participant:
    """Staff move a person to another region's forum (waiting there when it is full)."""
    require_staff(actor, "調整場次")
    with database.atomic():
        person = _participant(participant_id, actor)
        target = _region(person.edition, region)
        _lock_windows(person.edition, [target.id])
        window = _window(person.edition, target)
        if window is None:
            raise ValidationError(f"{target.name}尚未設定報名")
        old_region = person.region
        status = ("registered" if _registered_count(person.edition, target) < window.seats
                  else "waiting")
        Participant.update(region=target, status=status, updated_at=now()).where(
            Participant.id == person.id).execute()
        write_audit(actor, "move_participant", "participant", person.id,
                    before={"region": old_region.name}, after={"region": target.name})
        _promote(person.edition, old_region)
    return Participant.get_by_id(person.id)


def check_in(participant_id: int, attended: bool = True, *,
             actor: User | None = None) -> Participant:
    """Staff mark a registered person present (or not) on the day."""
    require_staff(actor, "登記報到")
    with database.atomic():
        person = _participant(participant_id, actor)
        if person.status != "registered":
            raise ValidationError(f"{person.name}的報名狀態為{STATUSES[person.status]}，不能報到")
        Participant.update(attended=attended, attended_at=now() if attended else None).where(
            Participant.id == person.id).execute()
        write_audit(actor, "check_in", "participant", person.id, after={"attended": attended})
    return Participant.get_by_id(person.id)


def list_participants(year: int, *, viewer: User | None = None, region: str | None = None,
                      query: str = "", include_cancelled: bool = False) -> list[Participant]:
    """The year's participants the viewer may see (a county contact: their own county), by
    region, county and the order they registered; ``query`` matches name or agency."""
    select = _participants(year, Participant.select(Participant, County, Region), viewer=viewer,
                           region=region, query=query, include_cancelled=include_cancelled)
    return list(select)


class ParticipantRow(NamedTuple):
    """What the staff list of participants shows of one."""

    id: int
    region: str
    county: str
    name: str
    agency: str
    status: str
    attended: bool


def count_participants(year: int, *, viewer: User | None = None, region: str | None = None,
                       query: str = "") -> int:
    """How many participants (not cancelled) :func:`list_participants` would list."""
    return _participants(year, Participant.select(Participant.id), viewer=viewer, region=region,
                         query=query).count()


def participant_rows(year: int, *, viewer: User | None = None, region: str | None = None,
                     query: str = "", page: int | None = None, size: int = 50
                     ) -> list[ParticipantRow]:
    """The participants (not cancelled) that :func:`list_participants` would list, as plain
    rows: all of them, or page ``page`` (``size`` a page)."""
    select = _participants(year, Participant.select(
        Participant.id, Region.name, County.name, Participant.name, Participant.agency,
        Participant.status, Participant.attended), viewer=viewer, region=region, query=query)
    return [ParticipantRow(*row) for row in
            (select.paginate(page, size) if page is not None else select).tuples()]


def _participants(year: int, select, *, viewer: User | None, region: str | None, query: str,
                  include_cancelled: bool = False):
    """``select`` (of participants) narrowed to the year's that the viewer may see, in the
    order :func:`list_participants` gives."""
    edition = get_edition(year)
    select = (select.join(County).switch(Participant).join(Region)
              .where(Participant.edition == edition))
    if not can_see_participants(viewer):
        raise PermissionDenied("只有主辦機關與縣市承辦人可以查看報名資料")
    if is_county_contact(viewer):
        select = select.where(Participant.county == viewer.county_id)
    if region:
        select = select.where(Region.name == region)
    if query.strip():
        words = clean_text(query)
        select = select.where(Participant.name.contains(words) | Participant.agency.contains(words))
    if not include_cancelled:
        select = select.where(Participant.status != "cancelled")
    return select.order_by(Region.position, County.id, Participant.id)


def registration_counts(year: int) -> list[dict]:
    """Per region: seats, deadline, open, registered, waiting, attended, and per county."""
    edition = get_edition(year)
    windows = {w.region_id: w for w in RegistrationWindow.select().where(
        RegistrationWindow.edition == edition)}
    totals: dict[int, Counter] = defaultdict(Counter)
    by_county: dict[int, dict[int, dict]] = defaultdict(dict)
    for region_id, county_id, county, status, attended, n in database.execute(
            Participant.select(Participant.region, Participant.county, County.name,
                               Participant.status, Participant.attended, fn.COUNT(Participant.id))
            .join(County).where(Participant.edition == edition)
            .group_by(Participant.region, Participant.county, County.name, Participant.status,
                      Participant.attended)).fetchall():
        totals[region_id][status] += n
        totals[region_id]["attended"] += n if status == "registered" and attended else 0
        row = by_county[region_id].setdefault(county_id, {"county": county, "registered": 0,
                                                          "waiting": 0})
        if status in ("registered", "waiting"):
            row[status] += n
    rows = []
    for region in edition_regions(edition):
        window, total = windows.get(region.id), totals[region.id]
        rows.append({"region": region.name, "seats": window.seats if window else None,
                     "deadline": window.deadline if window else None,
                     "is_open": bool(window and window.is_open),
                     "registered": total["registered"], "waiting": total["waiting"],
                     "attended": total["attended"],
                     "counties": [row for _, row in sorted(by_county[region.id].items())]})
    return rows


def purge_contacts(year: int, *, today: date | None = None, actor: User | None = None) -> int:
    """Delete participants' e-mail addresses once the year's retention period (months after
    the last regional forum, setting ``participant_retention_months``, default 6) is over;
    audited."""
    require_staff(actor, "刪除聯絡資料")
    from kb.programme import year_programmes

    edition = get_edition(year)
    months = edition.rules.participant_retention_months
    days = [p.date for p in year_programmes(year) if p.date]
    if not days:
        raise ValidationError(f"{roc_year(year)}的成果分享尚未設定日期，無法計算保存期限")
    last = max(days)
    month = last.month - 1 + months
    due = date(last.year + month // 12, month % 12 + 1, min(last.day, 28))
    today = today or date.today()
    if today < due:
        raise ValidationError(f"聯絡資料保存至{roc_date(due)}"
                              f"（成果分享後 {months} 個月），期限未到")
    with database.atomic():
        removed = (Participant.update(email="").where((Participant.edition == edition)
                                                      & (Participant.email != "")).execute())
        write_audit(actor, "purge_contacts", "participant", None,
                    after={"year": year, "removed": removed, "due": due.isoformat()})
    return removed


@dataclass
class AttendanceMark:
    """A row of a marked-up participant list: who, and whether they came."""

    name: str
    agency: str
    attended: bool
    where: str = ""


def import_attendance(year: int, marks: list[AttendanceMark], *,
                      actor: User | None = None) -> int:
    """Check people in (or out) from a marked-up list, all or nothing; every row must name a
    registered participant. Returns how many are marked present."""
    require_staff(actor, "登記報到")
    edition = get_edition(year)
    found = {(p.name, p.agency): p for p in Participant.select().where(
        (Participant.edition == edition) & (Participant.status == "registered"))}
    problems = [Problem(f"{m.where}：{m.name}（{m.agency}）不是本年度已報名的人員", "name")
                for m in marks if (clean_text(m.name), clean_text(m.agency)) not in found]
    if problems:
        raise ValidationError(problems)
    with database.atomic():
        for attended in (True, False):
            ids = [found[clean_text(m.name), clean_text(m.agency)].id for m in marks
                   if m.attended == attended]
            if ids:
                Participant.update(attended=attended, attended_at=now() if attended else None
                                   ).where(Participant.id.in_(ids)).execute()
        present = sum(m.attended for m in marks)
        write_audit(actor, "import_attendance", "participant", None,
                    after={"year": year, "rows": len(marks), "present": present})
    return present


def attendees_for_certificates(year: int, region: str) -> tuple[date, list[Participant]]:
    """The forum day and the people who attended a region's forum, for certificates of
    attendance (研習證明); refused while the day is not set (no date is invented)."""
    from kb.programme import region_programme

    day = region_programme(year, region).date
    if day is None:
        raise ValidationError(f"{region}成果分享尚未設定日期，無法製作研習證明")
    people = [p for p in list_participants(year, region=region) if p.attended]
    if not people:
        raise ValidationError(f"{region}尚無已報到的人員")
    return day, people
