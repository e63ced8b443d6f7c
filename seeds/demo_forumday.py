"""The demo's regional forum days: participants registered by their counties (some waiting,
most checked in) and their questionnaire answers, for every judged year, through the services
(each year's county lists in one call, each region's answers in one call)."""
from __future__ import annotations

import random
from datetime import timedelta

from kb.editions import edition_counties, edition_regions, get_edition
from kb.models import Participant
from kb.participants import (AttendanceMark, ParticipantInput, import_attendance,
                             open_registration, register_county_lists)
from kb.survey import RATING_VALUES, copy_survey, submit_device_answers, survey_links
from seeds.demo_programme import demo_forum_day
from seeds.demo_text import official_title, person_name

SEATS = 70
ATTENDED_SHARE = 0.85
ANSWERED_SHARE = 0.6
OPEN_ANSWERS = (
    "標竿案例的跨域合作經驗很實用，回去會和同仁分享。", "希望能增加與案例團隊交流的時間。",
    "與談專家的建議切合實務，收穫很多。", "場地稍嫌擁擠，希望下次提供較大的會場。",
    "希望會後提供簡報檔案，方便回機關推廣。", "數位應用的案例最有啟發，想了解經費如何籌措。",
    "整體流程順暢，工作人員很親切。", "建議分組討論，讓各縣市能深入交流。",
)
AGENCIES = ("研考會", "社會局", "民政局", "工務局", "觀光局", "文化局")
MEALS = ("葷食", "葷食", "素食", "不用餐")
# How likely each rating is (5 … 1): the forum is mostly well received.
RATING_WEIGHTS = (5, 7, 3, 1, 0.3)


def _register(rng: random.Random, year: int) -> None:
    edition = get_edition(year)
    for region in edition_regions(edition):
        day = demo_forum_day(year, region.position)
        open_registration(year, region.name, seats=SEATS, deadline=day - timedelta(days=10))
    lists = []
    for county in edition_counties(edition):
        people = [ParticipantInput(person_name(rng), f"{county.name}政府{rng.choice(AGENCIES)}",
                                   official_title(rng), "", rng.choice(MEALS))
                  for _ in range(rng.randint(5, 12))]
        lists.append((county.name, list({(p.name, p.agency): p for p in people}.values())))
    register_county_lists(year, lists, today=demo_forum_day(year, 0) - timedelta(days=30))
    import_attendance(year, [AttendanceMark(p.name, p.agency, rng.random() < ATTENDED_SHARE)
                             for p in Participant.select().where(
                                 (Participant.edition == edition)
                                 & (Participant.status == "registered"))])


def _answer(rng: random.Random, year: int) -> None:
    survey = copy_survey(year)
    attended = {}
    for person in Participant.select().where((Participant.edition == survey.edition)
                                             & Participant.attended):
        attended.setdefault(person.region_id, []).append(person.id)
    names = {r.id: r.name for r in edition_regions(survey.edition)}
    links = survey_links(year)
    for region_id, ids in attended.items():
        answered = []
        for person_id in ids:
            if rng.random() > ANSWERED_SHARE:
                continue
            answers = {}
            for question in survey.questions:
                if question["kind"] == "rating":
                    answers[question["key"]] = rng.choices(RATING_VALUES, weights=RATING_WEIGHTS)[0]
                elif question["kind"] == "single":
                    answers[question["key"]] = rng.choice(question["options"])
                elif question["kind"] == "multiple":
                    answers[question["key"]] = rng.sample(question["options"], rng.randint(1, 2))
                elif rng.random() < 0.4:
                    answers[question["key"]] = rng.choice(OPEN_ANSWERS)
            answered.append((f"demo-{year}-{person_id}", answers))
        submit_device_answers(links[names[region_id]], answered)


def write_demo_forum_days(rng: random.Random, years) -> None:
    """Participants, check-in and questionnaire answers for each of ``years``."""
    for year in years:
        _register(rng, year)
        _answer(rng, year)
