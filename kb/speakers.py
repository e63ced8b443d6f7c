"""The seed-speaker registry (種籽師資庫): the people who presented the forum's benchmark cases.

Person rows belong to one case each, so who is who across years is derived. The presenter of
every published award-winning case (:func:`kb.cases.presenter_of`) is matched on name and
agency, both folded by :func:`speaker_identity` (NFKC, no white space, 台 written 臺, case
folded), and each identity has a key (:func:`speaker_key`): a short hash, URL-safe and stable as
long as the spelling is. Staff record that two identities are one person (an agency renamed, a
typo) as a :class:`~kb.models.SpeakerMerge`; the merged entry keeps the target's key and takes
the target's spelling of name and agency, and the source's key still leads to it.

The registry lists the people who presented at least one published benchmark case; an entry's
cases are every published award-winning case (標竿案例 or 佳作) its person presented. Title and
contact details are the most recent ones given; contact details are read only when asked for
(staff). Entries are ordered by county, in the newest year's region order (north to south, as
every list of the forum is), then by name: a training organiser picks instructors near the
course first.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import NamedTuple

from peewee import JOIN

from kb.audit import actor_name, write_audit
from kb.cases import AWARDS, presenting, published_award
from kb.db import database, prepared
from kb.errors import NotFound, Problem, ValidationError, echoed
from kb.reading import read_once
from kb.models import (Case, CaseRole, Category, County, Edition, Person, Region, RegionCounty,
                       SpeakerMerge, User)
from kb.policy import require_staff
from kb.rocdate import roc_year
from kb.text import clean_text, normalize_name

KEY_LENGTH = 12  # hex digits: 48 bits, no collision in any plausible number of speakers


class SpeakerCase(NamedTuple):
    """A published award-winning case a speaker presented."""

    year: int
    title: str
    award_label: str
    case_id: int
    award: str
    category: str
    region: str


@dataclass
class Contacts:
    """A speaker's most recent telephone and e-mail (staff only)."""

    phone: str = ""
    email: str = ""


@dataclass
class Speaker:
    """One person of the registry.

    ``years`` are ROC years, oldest first; ``cases`` are in the order they were presented;
    ``fields`` are the cases' categories, the most frequent first; ``spellings`` are the other
    (name, agency) spellings matched or merged into the entry; ``keys`` are the entry's key and
    the keys merged into it; ``listed`` says whether the person presented a benchmark case (is in
    the registry); ``contacts`` is None unless asked for.
    """

    key: str
    name: str
    title: str
    agency: str
    county: str
    years: list[int]
    cases: list[SpeakerCase]
    fields: list[str]
    regions: list[str]
    spellings: list[tuple[str, str]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    listed: bool = True
    contacts: Contacts | None = None

    @property
    def label(self) -> str:
        """「王大明（臺南市政府社會局）」: how messages and menus name the entry."""
        return f"{self.name}（{self.agency}）"

    def as_dict(self) -> dict:
        """The entry as plain data for --json (contacts only when they were asked for)."""
        data = asdict(self)
        data["cases"] = [case._asdict() for case in self.cases]
        data["spellings"] = [list(pair) for pair in self.spellings]
        if self.contacts is None:
            del data["contacts"]
        return data


@dataclass
class SpeakerPair:
    """Two entries that may be one person: ``target`` is the suggested one to keep (the one in
    the registry, else the more recent), ``why`` says what they share."""

    target: Speaker
    source: Speaker
    why: str


@dataclass
class SpeakerMergeRecord:
    """A merge on record, with the entries named as they stand (a key no longer found in the
    cases is named by itself)."""

    source_key: str
    source_label: str
    target_key: str
    target_label: str
    reason: str
    actor: str
    at: datetime

    def audit_values(self) -> dict:
        """The record as the audit log keeps it (the log has its own time)."""
        return {key: value for key, value in asdict(self).items() if key != "at"}


class _Presentation(NamedTuple):
    """A published award-winning case and the person who presented it, as plain values (the
    person's agency, else the case's, and the registry key of the two)."""

    key: str
    case_id: int
    year: int
    case_title: str
    status: str
    category: str
    region: str
    region_position: int
    county: str
    name: str
    title: str
    agency: str
    phone: str
    email: str


# --- identity ---------------------------------------------------------------------------------

def _fold(text: str) -> str:
    return normalize_name(text).casefold()


def speaker_identity(name: str, agency: str) -> tuple[str, str]:
    """The (name, agency) two spellings must share to be one person: NFKC, no white space,
    台 written 臺, case folded. ``speaker_identity(" 王 大明", "台南市政府社會局")`` gives
    ``("王大明", "臺南市政府社會局")``."""
    return _fold(name), _fold(agency)


def speaker_key(name: str, agency: str) -> str:
    """The registry key of a name and agency: a short hash of :func:`speaker_identity`."""
    folded = "\x1f".join(speaker_identity(name, agency))
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=KEY_LENGTH // 2).hexdigest()


# --- reading ----------------------------------------------------------------------------------

@prepared
def _published_rows():
    return (Case.select(Case.id, Edition.year, Case.title, Case.agency, Case.status, Category.name,
                        Region.name, Region.position, County.name, CaseRole.role, Person.name,
                        Person.title, Person.agency, Person.phone, Person.email)
            .join(Edition).switch(Case).join(County).switch(Case).join(Region)
            .switch(Case).join(Category).switch(Case)
            .join(CaseRole, JOIN.LEFT_OUTER, on=((CaseRole.case == Case.id)
                                                 & CaseRole.role.in_(["owner", "presenter"])))
            .join(Person, JOIN.LEFT_OUTER)
            .where(published_award())
            .order_by(Edition.year.desc(), Case.id.desc()).tuples())


def _published() -> list[tuple]:
    """Every published award-winning case with its owner and presenter (one row per person,
    one with none for a case without people), newest first: one query, once per
    :func:`kb.reading.one_reading`. Plain rows: full case rows (keywords, its year's settings)
    and person objects cost more to build than the registry."""
    return read_once("published award cases", lambda: list(_published_rows()))


def _presentations() -> dict[str, list[_Presentation]]:
    """Every published award-winning case's presenter (:func:`kb.cases.presenter_of`: the
    presenter staff named, else the owner), by key, newest case first (once per
    :func:`kb.reading.one_reading`)."""
    return read_once("presentations", _group_presentations)


def _group_presentations() -> dict[str, list[_Presentation]]:
    people: dict[int, dict[str, tuple]] = defaultdict(dict)
    cases: dict[int, tuple] = {}
    for row in _published():  # the case's nine columns, the role, the person's five
        cases.setdefault(row[0], row[:9])
        if row[9] is not None:
            people[row[0]][row[9]] = row[10:]
    groups: dict[str, list[_Presentation]] = defaultdict(list)
    for case_id, case in cases.items():
        person = presenting(people[case_id])
        if person is not None:
            name, title, agency, phone, email = person
            agency = agency or case[3]
            key = speaker_key(name, agency)
            groups[key].append(_Presentation(key, case_id, case[1], case[2], *case[4:9], name,
                                             title, agency, phone, email))
    return groups


def _merges() -> dict[str, SpeakerMerge]:
    """The merges on record, by source key (once per :func:`kb.reading.one_reading`)."""
    return read_once("speaker merges",
                     lambda: {merge.source_key: merge for merge in SpeakerMerge.select()})


def _root(key: str, merges: dict[str, SpeakerMerge]) -> str:
    """The key an entry is finally merged into (itself when it is not merged)."""
    seen = {key}
    while key in merges and merges[key].target_key not in seen:
        key = merges[key].target_key
        seen.add(key)
    return key


def _newest_edition():
    """The newest edition's id, as a subquery (no edition: no rows)."""
    return Edition.select(Edition.id).order_by(Edition.year.desc()).limit(1)


@prepared
def _newest_counties():
    return (County.select(County.name).join(RegionCounty).join(Region)
            .where(RegionCounty.edition == _newest_edition())
            .order_by(Region.position, RegionCounty.id).tuples())


@prepared
def _newest_category_positions():
    return (Category.select(Category.name, Category.position)
            .where(Category.edition == _newest_edition()).tuples())


def _county_order() -> dict[str, int]:
    """County name → position in the newest edition (region by region, as
    :func:`kb.editions.edition_counties`)."""
    return {name: position for position, (name,) in enumerate(_newest_counties())}


def _speaker(key: str, items: list[_Presentation], own: list[_Presentation],
             with_contacts: bool) -> Speaker:
    """The entry of ``items`` (all its presentations, newest first); name and agency come from
    ``own`` (the presentations under the entry's own key, when it has any): the newest spelling,
    one with 臺 rather than 台 when there is one."""
    spelled = min(own or items, key=lambda item: "台" in item.agency)
    latest = items[0]
    name, agency = spelled.name, spelled.agency
    spellings = []
    for item in items:
        pair = (item.name, item.agency)
        if pair != (name, agency) and pair not in spellings:
            spellings.append(pair)
    # most_common keeps ties in the order met: the newest case's category first
    categories = Counter(item.category for item in items).most_common()
    regions = {item.region: item.region_position for item in items}
    contacts = None
    if with_contacts:
        contacts = Contacts(phone=next((item.phone for item in items if item.phone), ""),
                            email=next((item.email for item in items if item.email), ""))
    chronological = sorted(items, key=lambda item: (item.year, item.case_id))
    return Speaker(
        key=key, name=name, title=latest.title, agency=agency, county=latest.county,
        years=sorted({item.year for item in items}),
        cases=[SpeakerCase(item.year, item.case_title, AWARDS[item.status], item.case_id,
                           item.status, item.category, item.region) for item in chronological],
        fields=[category for category, _ in categories],
        regions=sorted(regions, key=regions.get), spellings=spellings,
        keys=sorted({item.key for item in items}, key=lambda k: (k != key, k)),
        listed=any(item.status == "benchmark" for item in items), contacts=contacts)


def _entries(with_contacts: bool) -> list[Speaker]:
    """Every entry after merging, listed or not, in registry order (once per
    :func:`kb.reading.one_reading`)."""
    return read_once(("speaker entries", with_contacts), lambda: _merged_entries(with_contacts))


def _merged_entries(with_contacts: bool) -> list[Speaker]:
    groups, merges = _presentations(), _merges()
    merged: dict[str, list[_Presentation]] = defaultdict(list)
    for key, items in groups.items():
        merged[_root(key, merges)].extend(items)
    order = _county_order()
    entries = []
    for key, items in merged.items():
        items.sort(key=lambda item: (-item.year, -item.case_id))
        entries.append(_speaker(key, items, groups.get(key, []), with_contacts))
    entries.sort(key=lambda s: (order.get(s.county, len(order)), s.county,
                                speaker_identity(s.name, s.agency), s.key))
    return entries


def filter_speakers(speakers: list[Speaker], *, field: str | None = None,
                    region: str | None = None, year: int | None = None,
                    name: str | None = None) -> list[Speaker]:
    """The entries with a case in ``field`` (a category), in ``region`` and in ``year``, whose
    name or agency (any spelling) contains ``name``; an empty filter lets everyone through."""
    field, region, name = _fold(field or ""), _fold(region or ""), _fold(name or "")

    def keep(s: Speaker) -> bool:
        if field and field not in {_fold(case.category) for case in s.cases}:
            return False
        if region and region not in {_fold(r) for r in s.regions}:
            return False
        if year is not None and year not in s.years:
            return False
        spellings = [(s.name, s.agency), *s.spellings]
        return not name or any(name in _fold(n) or name in _fold(a) for n, a in spellings)

    return [s for s in speakers if keep(s)]


def describe_filters(*, field: str | None = None, region: str | None = None,
                     year: int | None = None, name: str | None = None) -> str:
    """The filters in words, e.g. 「領域：社會福利；年度：民國102年；姓名或機關含「王」」; empty
    when there is none."""
    parts = [f"領域：{field}" if field else "", f"分區：{region}" if region else "",
             f"年度：{roc_year(year)}" if year is not None else "",
             f"姓名或機關含「{name}」" if name else ""]
    return "；".join(part for part in parts if part)


def list_speakers(*, field: str | None = None, region: str | None = None,
                  year: int | None = None, name: str | None = None, with_contacts: bool = False,
                  everyone: bool = False) -> list[Speaker]:
    """The registry, filtered (see :func:`filter_speakers`), in registry order.

    Contact details only ``with_contacts`` (staff). ``everyone`` also lists the people who
    presented honourable mentions only (for staff merging entries).
    """
    entries = _entries(with_contacts)
    if not everyone:
        entries = [s for s in entries if s.listed]
    return filter_speakers(entries, field=field, region=region, year=year, name=name)


def get_speaker(key: str, *, with_contacts: bool = False) -> Speaker:
    """The registry entry of ``key``; a key merged into another gives that entry (whose
    ``key`` then differs). Raises :class:`NotFound` for a key not in the registry."""
    root = _root(key, _merges())
    for entry in _entries(with_contacts):
        if entry.key == root and entry.listed:
            return entry
    raise NotFound(f"種籽師資庫沒有代碼「{echoed(key)}」的師資")


def speaker_choices() -> dict[str, list]:
    """What the registry's filters offer: fields (category names, in the newest year's order),
    regions and ROC years (newest first) of the published award-winning cases."""
    positions = dict(_newest_category_positions())
    fields, regions, years = set(), {}, set()
    for _, year, _, _, _, category, region, position, *_ in _published():
        fields.add(category)
        years.add(year)
        regions[region] = min(position, regions.get(region, position))
    return {"fields": sorted(fields, key=lambda name: (positions.get(name, len(positions)), name)),
            "regions": sorted(regions, key=lambda name: (regions[name], name)),
            "years": sorted(years, reverse=True)}


# --- possible duplicates ----------------------------------------------------------------------

def _one_character_apart(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


def possible_duplicates() -> list[SpeakerPair]:
    """Pairs of entries (at least one in the registry) that may be one person: the same name in
    another agency (a transfer, a renamed or differently written agency), or the same agency with
    names one character apart (a typo). Pairs in one county come first. Only staff can tell;
    nothing is merged here."""
    entries = list_speakers(everyone=True)
    by_name: dict[str, list[Speaker]] = defaultdict(list)
    by_agency: dict[str, list[Speaker]] = defaultdict(list)
    for entry in entries:
        name, agency = speaker_identity(entry.name, entry.agency)
        by_name[name].append(entry)
        by_agency[agency].append(entry)
    pairs: dict[tuple[str, str], SpeakerPair] = {}

    def add(a: Speaker, b: Speaker, why: str) -> None:
        if not (a.listed or b.listed) or tuple(sorted((a.key, b.key))) in pairs:
            return
        if (b.listed, b.years[-1]) > (a.listed, a.years[-1]):
            a, b = b, a
        pairs[tuple(sorted((a.key, b.key)))] = SpeakerPair(target=a, source=b, why=why)

    for group in by_name.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                add(a, b, "同名，服務機關不同" + ("（同縣市）" if a.county == b.county else ""))
    for group in by_agency.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if _one_character_apart(*(speaker_identity(s.name, s.agency)[0] for s in (a, b))):
                    add(a, b, "同機關，姓名僅差一字")
    position = {entry.key: index for index, entry in enumerate(entries)}
    return sorted(pairs.values(), key=lambda p: (p.target.county != p.source.county,
                                                 position[p.target.key]))


# --- merging ----------------------------------------------------------------------------------

def _labels(groups: dict[str, list[_Presentation]]) -> dict[str, str]:
    """Key → 「name（agency）」 as the key's own newest presentation spells it."""
    return {key: f"{items[0].name}（{items[0].agency}）" for key, items in groups.items()}


def _record(merge: SpeakerMerge, labels: dict[str, str]) -> SpeakerMergeRecord:
    def label(key: str) -> str:
        return labels.get(key, f"{key}（已無發表紀錄）")

    return SpeakerMergeRecord(merge.source_key, label(merge.source_key), merge.target_key,
                              label(merge.target_key), merge.reason, merge.actor, merge.at)


def merge_speakers(source_key: str, target_key: str, *, reason: str,
                   actor: User | None = None) -> SpeakerMergeRecord:
    """Record that the entry ``source_key`` is the same person as ``target_key`` (staff only).

    The merged entry keeps the target's key and spelling. Refused, with the reason in zh-TW: a
    key not found, an entry merged into itself, a source already merged elsewhere, a merge that
    would close a circle, or no reason given.
    """
    require_staff(actor, "合併種籽師資")
    reason = clean_text(reason)
    labels = _labels(_presentations())
    merges = _merges()
    problems = [Problem(f"找不到師資代碼「{echoed(key)}」", name)
                for name, key in (("source", source_key), ("target", target_key))
                if key not in labels]
    if not problems and source_key == target_key:
        problems.append(Problem("不能將一筆師資合併到自己", "target"))
    elif not problems and source_key in merges:
        done = merges[source_key].target_key
        problems.append(Problem(f"「{labels[source_key]}」已合併到"
                                f"「{labels.get(done, done)}」，請先取消該合併", "source"))
    elif not problems and _root(target_key, merges) == source_key:
        problems.append(Problem(f"「{labels[target_key]}」已合併到「{labels[source_key]}」，"
                                "不能再反向合併（會形成循環）", "target"))
    if not reason:
        problems.append(Problem("請說明合併理由", "reason"))
    if problems:
        raise ValidationError(problems)
    with database.atomic():
        merge = SpeakerMerge.create(source_key=source_key, target_key=target_key, reason=reason,
                                    actor=actor_name(actor))
        record = _record(merge, labels)
        write_audit(actor, "merge_speakers", "speaker_merge", merge.id, reason=reason,
                    after=record.audit_values())
    return record


def unmerge_speaker(source_key: str, *, actor: User | None = None) -> SpeakerMergeRecord:
    """Undo the merge of ``source_key`` (staff only): it is its own entry again, together with
    any entries merged into it. Returns the merge that was undone."""
    require_staff(actor, "合併種籽師資")
    merge = SpeakerMerge.get_or_none(SpeakerMerge.source_key == source_key)
    if merge is None:
        raise ValidationError([Problem(f"師資代碼「{echoed(source_key)}」沒有合併紀錄", "source")])
    record = _record(merge, _labels(_presentations()))
    with database.atomic():
        write_audit(actor, "unmerge_speaker", "speaker_merge", merge.id,
                    before=record.audit_values())
        merge.delete_instance()
    return record


def list_speaker_merges() -> list[SpeakerMergeRecord]:
    """The merges on record, the newest first."""
    labels = _labels(_presentations())
    return [_record(merge, labels) for merge in
            SpeakerMerge.select().order_by(SpeakerMerge.at.desc(), SpeakerMerge.id.desc())]
