"""The participant questionnaire (成效評量) of a year's regional forums.

A question is a dict: ``key`` (stable, what answers are stored under), ``kind`` — ``rating``
(1–5, with five labels from best to worst, e.g. 非常滿意…非常不滿意), ``single`` or ``multiple``
(choices in ``options``) or ``open`` (free text) — and ``text``. Participants answer anonymously
through their region's link, once per device; staff type in paper answers. Results count every
answer per question, overall and region by region; open answers are listed with their words.
"""
from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from peewee import IntegrityError

from kb.audit import write_audit
from kb.db import database, insert_rows
from kb.editions import edition_regions, get_edition
from kb.errors import NotFound, Problem, ValidationError, echoed
from kb.models import Edition, Region, Survey, SurveyLink, SurveyResponse, User, now
from kb.policy import require_staff
from kb.reading import read_once
from kb.rocdate import roc_time, roc_year
from kb.text import clean_text

KINDS = {"rating": "評分（1–5）", "single": "單選", "multiple": "複選", "open": "開放式"}
RATING_LABELS = ["非常滿意", "滿意", "普通", "不滿意", "非常不滿意"]
RATING_VALUES = [5, 4, 3, 2, 1]  # label i means value RATING_VALUES[i]
MAX_QUESTIONS = 30
MAX_OPTIONS = 10
MAX_TEXT = 300
MAX_ANSWER = 2000
DEFAULT_TITLE = "地方治理標竿論壇成效評量問卷"
DEFAULT_QUESTIONS = [
    {"key": "q1", "kind": "rating", "text": "整體而言，您對本次論壇的滿意程度"},
    {"key": "q2", "kind": "rating", "text": "標竿案例發表內容對您的工作有幫助"},
    {"key": "q3", "kind": "rating", "text": "專家與談的內容切合實務"},
    {"key": "q4", "kind": "single", "text": "您最想將哪一類作法帶回機關",
     "options": ["跨域合作", "數位應用", "社區參與", "財源籌措", "其他"]},
    {"key": "q5", "kind": "multiple", "text": "您從哪些管道得知本論壇", "options":
        ["機關公文", "主管指派", "同仁推薦", "網站公告"]},
    {"key": "q6", "kind": "open", "text": "參加本次論壇的心得或建議"},
]


def check_questions(questions: list[dict]) -> tuple[list[dict], list[Problem]]:
    """The questions cleaned, and every problem with them (field ``questions.<n>``)."""
    cleaned, problems, keys = [], [], set()
    if not questions:
        problems.append(Problem("問卷至少要有一題", "questions"))
    if len(questions) > MAX_QUESTIONS:
        problems.append(Problem(f"問卷最多 {MAX_QUESTIONS} 題", "questions"))
    for n, question in enumerate(questions, start=1):
        where, name = f"第{n}題", f"questions.{n}"
        kind = question.get("kind")
        text = clean_text(question.get("text"))
        key = clean_text(question.get("key")) or f"q{n}"
        options = [clean_text(o) for o in question.get("options") or [] if clean_text(o)]
        if kind not in KINDS:
            problems.append(Problem(f"{where}：題型須為 評分、單選、複選 或 開放式", name))
        if not text or len(text) > MAX_TEXT:
            problems.append(Problem(f"{where}：題目須填寫，最多 {MAX_TEXT} 字", name))
        if key in keys:
            problems.append(Problem(f"{where}：代號 {key} 重複", name))
        keys.add(key)
        if kind in ("single", "multiple") and not 2 <= len(options) <= MAX_OPTIONS:
            problems.append(Problem(f"{where}：選擇題須有 2 至 {MAX_OPTIONS} 個選項", name))
        if len(set(options)) != len(options):
            problems.append(Problem(f"{where}：選項重複", name))
        entry = {"key": key, "kind": kind, "text": text}
        if kind in ("single", "multiple"):
            entry["options"] = options
        cleaned.append(entry)
    return cleaned, problems


def _structure(questions: list[dict]) -> list[tuple]:
    """What answers depend on: each question's key, kind and choices (not its wording)."""
    return [(q["key"], q["kind"], tuple(q.get("options", ()))) for q in questions]


def _regions(year: int) -> list[Region]:
    """The year's regions in order (once per :func:`kb.reading.one_reading`)."""
    return read_once(("survey regions", year), lambda: edition_regions(get_edition(year)))


def _responses(survey: Survey) -> list[tuple[int, dict]]:
    """Every answer to the questionnaire as (region id, answers), oldest first (once per
    :func:`kb.reading.one_reading`)."""
    return read_once(("survey responses", survey.id), lambda: list(
        SurveyResponse.select(SurveyResponse.region, SurveyResponse.answers)
        .where(SurveyResponse.survey == survey).order_by(SurveyResponse.id).tuples()))


def get_survey(year: int) -> Survey | None:
    """The year's questionnaire, or None while staff have not set one (read once a page: its
    results, links and counts each ask)."""
    return read_once(("survey", year),
                     lambda: Survey.get_or_none(Survey.edition == get_edition(year)))


def save_survey(year: int, *, title: str, intro: str, questions: list[dict],
                actor: User | None = None) -> Survey:
    """Set the year's questionnaire, all or nothing, audited. Once answers exist only the
    wording may change (keys, kinds and choices are what the answers mean)."""
    require_staff(actor, "設定成效評量問卷")
    edition = get_edition(year)
    cleaned, problems = check_questions(questions)
    title = clean_text(title) or DEFAULT_TITLE
    if len(title) > MAX_TEXT:
        problems.append(Problem(f"問卷名稱最多 {MAX_TEXT} 字", "title"))
    with database.atomic():
        survey = Survey.get_or_none(Survey.edition == edition)
        if survey is not None and not problems and _structure(survey.questions) != _structure(cleaned):
            answered = survey.responses.count()
            if answered:
                problems.append(Problem(f"已有 {answered} 份填答：只能修改題目文字，不能增刪題目、"
                                        "改題型或改選項", "questions"))
        if problems:
            raise ValidationError(problems)
        before = None if survey is None else {"title": survey.title, "questions": survey.questions}
        if survey is None:
            survey = Survey.create(edition=edition, title=title, intro=clean_text(intro),
                                   questions=cleaned)
        else:
            Survey.update(title=title, intro=clean_text(intro), questions=cleaned,
                          updated_at=now()).where(Survey.id == survey.id).execute()
        write_audit(actor, "save_survey", "survey", survey.id, before=before,
                    after={"title": title, "questions": cleaned})
    return Survey.get_by_id(survey.id)


def copy_survey(year: int, from_year: int | None = None, *, actor: User | None = None) -> Survey:
    """Set the year's questionnaire from another year's (or the default one)."""
    source = get_survey(from_year) if from_year else None
    if from_year and source is None:
        raise NotFound(f"{roc_year(from_year)}沒有成效評量問卷")
    return save_survey(year, title=source.title if source else DEFAULT_TITLE,
                       intro=source.intro if source else "",
                       questions=source.questions if source else DEFAULT_QUESTIONS, actor=actor)


def survey_links(year: int) -> dict[str, str]:
    """Region name → the token of its answering link (made on first call: once every region
    has one this only reads, and waits for no writer)."""
    survey = get_survey(year)
    if survey is None:
        raise NotFound(f"{roc_year(year)}尚未設定成效評量問卷")
    existing = {link.region_id: link.token for link in survey.links}
    regions = _regions(year)
    if all(region.id in existing for region in regions):
        return {region.name: existing[region.id] for region in regions}
    with database.atomic():
        existing = {link.region_id: link.token for link in survey.links}
        links = {}
        for region in regions:
            if region.id not in existing:
                existing[region.id] = secrets.token_urlsafe(12)
                SurveyLink.create(survey=survey, region=region, token=existing[region.id])
            links[region.name] = existing[region.id]
    return links


def region_token(year: int, region: str) -> str | None:
    """The answering token of a region's forum, or None while the year has no questionnaire."""
    if get_survey(year) is None:
        return None
    return survey_links(year).get(region)


@dataclass
class Opened:
    """A questionnaire opened through a region's link."""

    survey: Survey
    region: Region
    year: int


def open_link(token: str) -> Opened:
    """The questionnaire and region of a link; NotFound for an unknown one."""
    link = (SurveyLink.select(SurveyLink, Survey, Edition, Region).join(Survey).join(Edition)
            .switch(SurveyLink).join(Region).where(SurveyLink.token == token).first())
    if link is None:
        raise NotFound("找不到這份問卷，請確認網址或重新掃描 QR code")
    return Opened(link.survey, link.region, link.survey.edition.year)


def device_digest(device_token: str) -> str:
    """What is stored of a device's token (never the token itself)."""
    return hashlib.sha256(device_token.encode()).hexdigest()


def check_answers(questions: list[dict], answers: dict) -> tuple[dict, list[Problem]]:
    """The answers kept (by question key) and the problems; unanswered questions are left out."""
    kept, problems = {}, []
    for n, question in enumerate(questions, start=1):
        value = answers.get(question["key"])
        if value in (None, "", []):
            continue
        where, kind = f"第{n}題", question["kind"]
        if kind == "rating":
            if str(value) not in {str(v) for v in RATING_VALUES}:
                problems.append(Problem(f"{where}：請選 1 至 5 分", question["key"]))
                continue
            kept[question["key"]] = int(value)
        elif kind == "single":
            if value not in question["options"]:
                problems.append(Problem(f"{where}：請從選項中選一個", question["key"]))
                continue
            kept[question["key"]] = value
        elif kind == "multiple":
            values = value if isinstance(value, list) else [value]
            if not set(values) <= set(question["options"]):
                problems.append(Problem(f"{where}：請從選項中勾選", question["key"]))
                continue
            kept[question["key"]] = [o for o in question["options"] if o in values]
        else:
            text = clean_text(value)
            if len(text) > MAX_ANSWER:
                problems.append(Problem(f"{where}：最多 {MAX_ANSWER} 字", question["key"]))
                continue
            kept[question["key"]] = text
    if not kept and not problems:
        problems.append(Problem("請至少回答一題再送出"))
    return kept, problems


def submit_answers(token: str, answers: dict, *, device_token: str) -> SurveyResponse:
    """One participant's answers through a link, anonymous; a device answers once."""
    opened = open_link(token)
    kept, problems = check_answers(opened.survey.questions, answers)
    if problems:
        raise ValidationError(problems)
    with _once_per_device():
        return SurveyResponse.create(survey=opened.survey, region=opened.region,
                                     device=device_digest(device_token), answers=kept)


@contextmanager
def _once_per_device():
    """A transaction whose answers refused by the one-answer-per-device rule end in a message."""
    try:
        with database.atomic():
            yield
    except IntegrityError:
        raise ValidationError("這個裝置已經填答過這份問卷，感謝您的參與") from None


def submit_device_answers(token: str, answered: list[tuple[str, dict]]) -> int:
    """Many devices' answers through one link at once, as (device token, answers) — what a
    tablet at the forum kept while offline — all or nothing, each as :func:`submit_answers`
    takes it, in a fixed number of statements. Returns how many were saved."""
    opened = open_link(token)
    rows, problems, devices = [], [], set()
    for n, (device_token, answers) in enumerate(answered, start=1):
        kept, found = check_answers(opened.survey.questions, answers)
        problems += [Problem(f"第{n}份：{problem.message}", problem.field) for problem in found]
        device = device_digest(device_token)
        if device in devices:
            problems.append(Problem(f"第{n}份：同一個裝置只能填答一次", "device"))
        devices.add(device)
        rows.append((opened.survey.id, opened.region.id, device, "web", kept, now()))
    if problems:
        raise ValidationError(problems)
    with _once_per_device():
        insert_rows(SurveyResponse, [SurveyResponse.survey, SurveyResponse.region,
                                     SurveyResponse.device, SurveyResponse.source,
                                     SurveyResponse.answers, SurveyResponse.at], rows)
    return len(rows)


def has_answered(token: str, device_token: str | None) -> bool:
    """Whether this device already answered through this link's questionnaire."""
    if not device_token:
        return False
    opened = open_link(token)
    return SurveyResponse.select().where((SurveyResponse.survey == opened.survey) & (
        SurveyResponse.device == device_digest(device_token))).exists()


def record_paper_answers(year: int, region: str, answers: dict, *,
                         actor: User | None = None) -> SurveyResponse:
    """Staff type in one paper questionnaire of a region's forum; audited."""
    return import_paper_answers(year, [(region, answers, "")], actor=actor)[0]


def import_paper_answers(year: int, rows: list[tuple[str, dict, str]], *,
                         actor: User | None = None) -> list[SurveyResponse]:
    """Paper questionnaires (region, answers, where each was typed) all or nothing; audited."""
    require_staff(actor, "設定成效評量問卷")
    survey = get_survey(year)
    if survey is None:
        raise NotFound(f"{roc_year(year)}尚未設定成效評量問卷")
    regions = {r.name: r for r in edition_regions(survey.edition)}
    checked, problems = [], []
    for region, answers, where in rows:
        prefix = f"{where}：" if where else ""
        if region not in regions:
            problems.append(Problem(f"{prefix}{roc_year(year)}沒有分區「{echoed(region)}」", "region"))
            continue
        kept, found = check_answers(survey.questions, answers)
        problems += [Problem(prefix + p.message, p.field) for p in found]
        checked.append((regions[region], kept))
    if not rows:
        problems.append(Problem("沒有要登錄的問卷"))
    if problems:
        raise ValidationError(problems)
    with database.atomic():
        made = [SurveyResponse.create(survey=survey, region=region, source="paper", answers=kept)
                for region, kept in checked]
        write_audit(actor, "record_paper_answers", "surveyresponse", made[0].id,
                    after={"count": len(made)})
    return made


@dataclass
class QuestionResult:
    """One question's answers: how many, the mean (ratings), the count of each choice, overall
    and per region; open answers as text with their most common words."""

    key: str
    kind: str
    text: str
    choices: list[str]  # the x axis: rating labels best first, or the options
    count: int = 0
    mean: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    by_region: dict[str, dict[str, int]] = field(default_factory=dict)
    means_by_region: dict[str, float | None] = field(default_factory=dict)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (region, answer)
    words: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "text": self.text, "count": self.count,
                "mean": self.mean, "counts": self.counts, "by_region": self.by_region,
                "means_by_region": self.means_by_region,
                "texts": [{"region": r, "text": t} for r, t in self.texts],
                "words": [{"word": w, "count": c} for w, c in self.words]}


def _choice_of(question: dict, value) -> list[str]:
    if question["kind"] == "rating":
        return [RATING_LABELS[RATING_VALUES.index(int(value))]]
    return value if isinstance(value, list) else [value]


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def survey_results(year: int, *, words: int = 15) -> tuple[Survey, list[str], list[QuestionResult]]:
    """The questionnaire, its regions, and each question's results."""
    survey = get_survey(year)
    if survey is None:
        raise NotFound(f"{roc_year(year)}尚未設定成效評量問卷")
    regions = [r.name for r in _regions(year)]
    names = {r.id: r.name for r in _regions(year)}
    responses = _responses(survey)
    results = []
    for question in survey.questions:
        choices = RATING_LABELS if question["kind"] == "rating" else question.get("options", [])
        result = QuestionResult(question["key"], question["kind"], question["text"], list(choices),
                                counts=dict.fromkeys(choices, 0),
                                by_region={r: dict.fromkeys(choices, 0) for r in regions})
        ratings: dict[str, list[int]] = {r: [] for r in regions}
        for region_id, answers in responses:
            value = answers.get(question["key"])
            if value in (None, "", []):
                continue
            region = names[region_id]
            result.count += 1
            if question["kind"] == "open":
                result.texts.append((region, value))
                continue
            if question["kind"] == "rating":
                ratings[region].append(int(value))
            for choice in _choice_of(question, value):
                result.counts[choice] += 1
                result.by_region[region][choice] += 1
        if question["kind"] == "rating":
            result.mean = _mean([v for values in ratings.values() for v in values])
            result.means_by_region = {r: _mean(values) for r, values in ratings.items()}
        if question["kind"] == "open":
            result.words = list(_common_words(tuple(text for _, text in result.texts), words))
        results.append(result)
    return survey, regions, results


@lru_cache(maxsize=64)
def _common_words(texts: tuple[str, ...], words: int) -> tuple[tuple[str, int], ...]:
    """The ``words`` most common words (two characters or more, not Latin) of some open answers
    with their counts; kept for the same answers, as segmenting them is most of a results
    page's work."""
    from kb.segment import segment

    counter = Counter(w for text in texts for w in segment(text) if len(w) >= 2 and not w.isascii())
    return tuple(counter.most_common(words))


SOURCES = {"web": "網路", "paper": "紙本"}


def survey_answer_rows(year: int) -> tuple[list[dict], list[tuple[str, str, str, dict]]]:
    """The questions and every answer as (region, source, time, answers), oldest first."""
    survey = get_survey(year)
    if survey is None:
        raise NotFound(f"{roc_year(year)}尚未設定成效評量問卷")
    names = {r.id: r.name for r in edition_regions(survey.edition)}
    rows = [(names[r.region_id], SOURCES[r.source], roc_time(r.at), r.answers)
            for r in SurveyResponse.select().where(SurveyResponse.survey == survey)
            .order_by(SurveyResponse.id)]
    return survey.questions, rows


def response_counts(year: int) -> dict[str, int]:
    """Region name → how many answers."""
    survey = get_survey(year)
    if survey is None:
        return {}
    names = {r.id: r.name for r in _regions(year)}
    counts = dict.fromkeys(names.values(), 0)
    for region_id, _ in _responses(survey):
        counts[names[region_id]] += 1
    return counts
