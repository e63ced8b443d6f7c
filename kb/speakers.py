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

from peewee import fn, prefetch

from kb.audit import actor_name, write_audit
from kb.cases import AWARDS, presenter_of
from kb.db import database
from kb.editions import edition_counties, latest_edition
from kb.errors import NotFound, Problem, ValidationError, echoed
from kb.reading import read_once
from kb.models import (Case, CaseRole, Category, County, Edition, Person, Region, SpeakerMerge,
                       User)
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
    """A published award-winning case and the person who presented it."""

    case: Case
    person: Person


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


def _agency_of(item: _Presentation) -> str:
    return item.person.agency or item.case.agency


def _key_of(item: _Presentation) -> str:
    return speaker_key(item.person.name, _agency_of(item))


# --- reading ----------------------------------------------------------------------------------

def _presentations() -> dict[str, list[_Presentation]]:
    """Every published award-winning case's presenter, by key, newest case first (two queries:
    the cases, then their owners and presenters; once per :func:`kb.reading.one_reading`)."""
    return read_once("presentations", _read_presentations)


def _read_presentations() -> dict[str, list[_Presentation]]:
    # only the columns a registry entry shows: a full case row (keywords, its year's settings)
    # costs more to build than the registry
    cases = (Case.select(Case.id, Case.title, Case.agency, Case.status, Case.edition, Case.county,
                         Case.region, Case.category, Edition.id, Edition.year, County.id,
                         County.name, Region.id, Region.name, Region.position, Category.id,
                         Category.name)
             .join(Edition).switch(Case).join(County).switch(Case).join(Region)
             .switch(Case).join(Category)
             .where((Case.published == True) & Case.status.in_(list(AWARDS)))  # noqa: E712
             .order_by(Edition.year.desc(), Case.id.desc()))
    roles = (CaseRole.select(CaseRole, Person).join(Person)
             .where(CaseRole.role.in_(["owner", "presenter"])))
    groups: dict[str, list[_Presentation]] = defaultdict(list)
    for case in prefetch(cases, roles):
        person = presenter_of(case)
        if person is not None:
            item = _Presentation(case, person)
            groups[_key_of(item)].append(item)
    return groups


def _merges() -> dict[str, SpeakerMerge]:
    """The merges on record, by source key."""
    return {merge.source_key: merge for merge in SpeakerMerge.select()}


def _root(key: str, merges: dict[str, SpeakerMerge]) -> str:
    """The key an entry is finally merged into (itself when it is not merged)."""
    seen = {key}
    while key in merges and merges[key].target_key not in seen:
        key = merges[key].target_key
        seen.add(key)
    return key


def _county_order() -> dict[str, int]:
    """County name → position in the newest edition (region by region)."""
    edition = latest_edition()
    counties = edition_counties(edition) if edition else []
    return {county.name: position for position, county in enumerate(counties)}


def _speaker(key: str, items: list[_Presentation], own: list[_Presentation],
             with_contacts: bool) -> Speaker:
    """The entry of ``items`` (all its presentations, newest first); name and agency come from
    ``own`` (the presentations under the entry's own key, when it has any): the newest spelling,
    one with 臺 rather than 台 when there is one."""
    spelled = min(own or items, key=lambda item: "台" in _agency_of(item))
    latest = items[0]
    name, agency = spelled.person.name, _agency_of(spelled)
    spellings = []
    for item in items:
        pair = (item.person.name, _agency_of(item))
        if pair != (name, agency) and pair not in spellings:
            spellings.append(pair)
    # most_common keeps ties in the order met: the newest case's category first
    categories = Counter(item.case.category.name for item in items).most_common()
    regions = {item.case.region.name: item.case.region.position for item in items}
    contacts = None
    if with_contacts:
        contacts = Contacts(
            phone=next((item.person.phone for item in items if item.person.phone), ""),
            email=next((item.person.email for item in items if item.person.email), ""))
    chronological = sorted(items, key=lambda item: (item.case.edition.year, item.case.id))
    return Speaker(
        key=key, name=name, title=latest.person.title, agency=agency,
        county=latest.case.county.name,
        years=sorted({item.case.edition.year for item in items}),
        cases=[SpeakerCase(item.case.edition.year, item.case.title, AWARDS[item.case.status],
                           item.case.id, item.case.status, item.case.category.name,
                           item.case.region.name) for item in chronological],
        fields=[category for category, _ in categories],
        regions=sorted(regions, key=regions.get), spellings=spellings,
        keys=sorted({_key_of(item) for item in items}, key=lambda k: (k != key, k)),
        listed=any(item.case.status == "benchmark" for item in items), contacts=contacts)


def _entries(groups: dict[str, list[_Presentation]], merges: dict[str, SpeakerMerge],
             with_contacts: bool) -> list[Speaker]:
    """Every entry after merging, listed or not, in registry order."""
    merged: dict[str, list[_Presentation]] = defaultdict(list)
    for key, items in groups.items():
        merged[_root(key, merges)].extend(items)
    order = _county_order()
    entries = []
    for key, items in merged.items():
        items.sort(key=lambda item: (-item.case.edition.year, -item.case.id))
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
    entries = _entries(_presentations(), _merges(), with_contacts)
    if not everyone:
        entries = [s for s in entries if s.listed]
    return filter_speakers(entries, field=field, region=region, year=year, name=name)


def get_speaker(key: str, *, with_contacts: bool = False) -> Speaker:
    """The registry entry of ``key``; a key merged into another gives that entry (whose
    ``key`` then differs). Raises :class:`NotFound` for a key not in the registry."""
    merges = _merges()
    root = _root(key, merges)
    for entry in _entries(_presentations(), merges, with_contacts):
        if entry.key == root and entry.listed:
            return entry
    raise NotFound(f"種籽師資庫沒有代碼「{echoed(key)}」的師資")


def speaker_choices() -> dict[str, list]:
    """What the registry's filters offer: fields (category names, in the newest year's order),
    regions and ROC years (newest first) of the published award-winning cases."""
    published = (Case.published == True) & Case.status.in_(list(AWARDS))  # noqa: E712
    edition = latest_edition()
    positions = dict(Category.select(Category.name, Category.position)
                     .where(Category.edition == edition).tuples()) if edition else {}
    fields = [name for (name,) in Category.select(Category.name).join(Case).where(published)
              .distinct().tuples()]
    regions = [name for name, _ in Region.select(Region.name, fn.MIN(Region.position))
               .join(Case).where(published).group_by(Region.name)
               .order_by(fn.MIN(Region.position)).tuples()]
    years = [year for (year,) in Edition.select(Edition.year).join(Case).where(published)
             .distinct().order_by(Edition.year.desc()).tuples()]
    return {"fields": sorted(fields, key=lambda name: (positions.get(name, len(positions)), name)),
            "regions": regions, "years": years}


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
    return {key: f"{items[0].person.name}（{_agency_of(items[0])}）" for key, items in groups.items()}


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
