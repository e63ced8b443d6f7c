"""Commendation letters (行政獎勵函): the forum writes to the agency of each published benchmark
case and honourable mention, asking it to commend the people who ran the case.

Staff set each letter's number (發文字號) and date (發文日期) and may edit who is commended (by
default the case's owner, presenter and contact); a letter without its number or date is never
printed, so no date is invented.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from kb.audit import write_audit
from kb.cases import AWARDS, case_people, get_case
from kb.db import database
from kb.editions import get_edition
from kb.errors import Problem, ValidationError
from kb.models import Case, CommendationLetter, County, Edition, Person, Region, User, now
from kb.policy import require_staff
from kb.programme import forum_name_of
from kb.rocdate import ad_year, roc_year
from kb.text import clean_text

MAX_PEOPLE = 20
MAX_NUMBER = 60
MAX_TEXT = 200
ROLE_ORDER = ("owner", "presenter", "contact")


@dataclass
class Commended:
    """A person to commend: name and title."""

    name: str
    title: str = ""


@dataclass
class Letter:
    """One letter as staff edit it and the PDF prints it."""

    case_id: int
    year: int
    forum_name: str
    region: str
    county: str
    agency: str
    case_title: str
    award_label: str
    number: str = ""
    date: date | None = None
    sender: str = ""
    copies: str = ""
    people: list[Commended] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """What the letter still needs before it can be printed."""
        return [label for label, value in (("發文字號", self.number), ("發文日期", self.date),
                                           ("發文機關", self.sender), ("敘獎人員", self.people))
                if not value]

    def as_dict(self) -> dict:
        return {"case": self.case_id, "year": self.year, "region": self.region,
                "county": self.county, "agency": self.agency, "case_title": self.case_title,
                "award_label": self.award_label, "number": self.number,
                "date": self.date.isoformat() if self.date else None, "sender": self.sender,
                "copies": self.copies,
                "people": [{"name": p.name, "title": p.title} for p in self.people],
                "missing": self.missing}


def parse_people(text: str) -> list[Commended]:
    """People typed one per line as 姓名（職稱）, 姓名 職稱, or 姓名."""
    people = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.endswith(("）", ")")) and ("（" in line or "(" in line):
            name, _, title = line.replace("(", "（").rstrip("）)").partition("（")
        else:
            name, _, title = line.partition(" ")
        people.append(Commended(name.strip(), title.strip()))
    return people


def _default_people(by_role: dict[str, Person]) -> list[Commended]:
    """The case's owner, presenter and contact (``by_role``), each person once."""
    people, seen = [], set()
    for role in ROLE_ORDER:
        person = by_role.get(role)
        if person is not None and person.name not in seen:
            seen.add(person.name)
            people.append(Commended(person.name, person.title))
    return people


class _Winner(NamedTuple):
    """What a letter names of its case."""

    id: int
    year: int
    region: str
    county: str
    agency: str
    title: str
    status: str


def _winner(case: Case) -> _Winner:
    return _Winner(case.id, case.edition.year, case.region.name, case.county.name, case.agency,
                   case.title, case.status)


def _year_winners(year: int) -> list[_Winner]:
    """The year's published winners as :func:`kb.writeups.published_winners` orders them, as
    plain rows (whole cases with their year's settings cost the page most of its time)."""
    return [_Winner(*row) for row in database.execute(
        Case.select(Case.id, Edition.year, Region.name, County.name, Case.agency, Case.title,
                    Case.status)
        .join(Edition).switch(Case).join(County).switch(Case).join(Region)
        .where((Edition.year == year) & (Case.published == True)  # noqa: E712
               & Case.status.in_(list(AWARDS)))
        .order_by(Region.position, Case.status != "benchmark", County.id, Case.id)).fetchall()]


def _letter(case: _Winner, record: CommendationLetter | None, forum_name: str,
            by_role: dict[str, Person]) -> Letter:
    letter = Letter(case.id, case.year, forum_name, case.region, case.county, case.agency,
                    case.title, AWARDS[case.status])
    if record is None:
        letter.people = _default_people(by_role)
        return letter
    letter.number, letter.date = record.number, record.date
    letter.sender, letter.copies = record.sender, record.copies
    letter.people = ([Commended(p["name"], p.get("title", "")) for p in record.people]
                     if record.people is not None else _default_people(by_role))
    return letter


def year_letters(year: int) -> list[Letter]:
    """A letter for every published winner of the year, in the anthology's order."""
    edition = get_edition(year)
    winners = _year_winners(year)
    if not winners:
        return []
    records = {r.case_id: r for r in CommendationLetter.select().where(
        CommendationLetter.case.in_([c.id for c in winners]))}
    roles, forum_name = case_people(c.id for c in winners), forum_name_of(edition)
    return [_letter(case, records.get(case.id), forum_name, roles[case.id]) for case in winners]


def _problems(number: str, day: date | None, sender: str, copies: str,
              people: list[Commended], year: int) -> list[Problem]:
    problems = []
    if len(number) > MAX_NUMBER:
        problems.append(Problem(f"發文字號最多 {MAX_NUMBER} 字", "number"))
    if day is not None and day.year < ad_year(year):
        problems.append(Problem(f"發文日期不能早於{roc_year(year)}", "date"))
    for name, value in (("發文機關", sender), ("副本", copies)):
        if len(value) > MAX_TEXT:
            problems.append(Problem(f"{name}最多 {MAX_TEXT} 字", name))
    if len(people) > MAX_PEOPLE:
        problems.append(Problem(f"敘獎人員最多 {MAX_PEOPLE} 位", "people"))
    for n, person in enumerate(people, start=1):
        if not person.name:
            problems.append(Problem(f"敘獎人員第{n}位須填寫姓名", "people"))
        if len(person.name) > MAX_TEXT or len(person.title) > MAX_TEXT:
            problems.append(Problem(f"敘獎人員第{n}位的姓名或職稱太長（最多 {MAX_TEXT} 字）", "people"))
    return problems


def save_letter(case_id: int, *, number: str, day: date | None, sender: str, copies: str = "",
                people: list[Commended] | None = None, actor: User | None = None) -> Letter:
    """Record a winner's letter: number, date, sender, copies and who is commended (None keeps
    the case's people); staff only, all or nothing, audited."""
    require_staff(actor, "製作行政獎勵函")
    case = get_case(case_id, staff_scope=True)
    if not (case.published and case.status in AWARDS):
        raise ValidationError(f"案例 {case_id} 不是已公布的標竿案例或佳作，不需行政獎勵函")
    number, sender, copies = clean_text(number), clean_text(sender), clean_text(copies)
    if people is not None:
        people = [Commended(clean_text(p.name), clean_text(p.title)) for p in people]
    problems = _problems(number, day, sender, copies, people or [], case.edition.year)
    if problems:
        raise ValidationError(problems)
    values = {"number": number, "date": day, "sender": sender, "copies": copies,
              "people": [{"name": p.name, "title": p.title} for p in people]
              if people is not None else None}
    with database.atomic():
        record = CommendationLetter.get_or_none(CommendationLetter.case == case)
        before = None if record is None else {
            "number": record.number, "date": record.date, "sender": record.sender,
            "copies": record.copies, "people": record.people}
        if record is None:
            CommendationLetter.create(case=case, actor=actor.login if actor else "命令列", **values)
        else:
            CommendationLetter.update(actor=actor.login if actor else "命令列", at=now(),
                                      **values).where(CommendationLetter.id == record.id).execute()
        write_audit(actor, "save_letter", "commendationletter", case.id,
                    before=_jsonable(before), after=_jsonable(values))
    return _letter(_winner(case), CommendationLetter.get(CommendationLetter.case == case),
                   forum_name_of(case.edition), case_people([case.id])[case.id])


def _jsonable(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def letters_to_print(year: int, case_id: int | None = None) -> list[Letter]:
    """The year's letters (or one case's) ready to print; ValidationError naming every letter
    that still lacks its number, date, sender or people (nothing is printed then)."""
    letters = [letter for letter in year_letters(year)
               if case_id is None or letter.case_id == case_id]
    if not letters:
        raise ValidationError(f"{roc_year(year)}尚無已公布的標竿案例或佳作，不需行政獎勵函"
                              if case_id is None else f"案例 {case_id} 不是{roc_year(year)}已公布的得獎案例")
    unready = [Problem(f"〈{letter.case_title}〉尚缺{'、'.join(letter.missing)}", "letters")
               for letter in letters if letter.missing]
    if unready:
        raise ValidationError(unready)
    return letters
