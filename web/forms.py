"""Web forms; the case form is built from the field list that spreadsheets use too."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from kb.cases import (FIELD_LABELS, MAX_KEYWORDS, MAX_LENGTHS, PEOPLE, PERSON_FIELDS, SECTIONS,
                      CaseInput, PersonInput)
from kb.errors import Problem
from kb.formats import EMAIL_HINT, PHONE_HINT
from kb.text import split_list

# The most characters each long input takes, by input name: the form says it before typing
# and web/static/forms.js counts as one types.
LIMITS = {"title": MAX_LENGTHS["title"], "agency": MAX_LENGTHS["agency"],
          "theme": MAX_LENGTHS["theme"], "summary": MAX_LENGTHS["summary"],
          **{f"sections_{key}": MAX_LENGTHS["section"] for key, _ in SECTIONS}}
HELP = {
    "external_id": "選填；縣市自訂的穩定編號，重複匯入時用以辨識同一案例。",
    "keywords": f"以頓號或逗號分隔，最多 {MAX_KEYWORDS} 個。",
    "attest_own": "本案由本縣市自行辦理，或為成功移植他縣市之案例。",
    "attest_ongoing": "本案仍持續推動中，且有精進空間。",
    **{f"{who}_phone": f"{PHONE_HINT}。" for who, _ in PEOPLE},
    **{f"{who}_email": f"{EMAIL_HINT}。" for who, _ in PEOPLE},
}
for _name, _limit in LIMITS.items():
    HELP[_name] = f"{HELP.get(_name, '')}最多 {_limit:,} 字。"


def case_help(categories) -> dict[str, str]:
    """The help of every case input for a year of these categories (its
    :func:`kb.editions.edition_categories`): the theme's names those that need one (「其他」 in
    the reference data), as :func:`kb.cases.check_case` decides."""
    needing = "、".join(f"「{c.name}」" for c in categories if c.needs_theme)
    theme = f"類別為{needing}時必填。" if needing else "本年度的類別皆不需自訂主題。"
    return {**HELP, "theme": theme + HELP["theme"]}


def form_name(field: str) -> str:
    """The form input name of a case field (``owner.name`` → ``owner_name``)."""
    return field.replace(".", "_")


def _input_for(field: str, label: str):
    if field in ("county", "category"):
        return SelectField(label, validate_choice=False)
    if field == "summary" or field.startswith("sections."):
        return TextAreaField(label)
    if field.startswith("attest_"):
        return BooleanField(label)
    return StringField(label)


CaseForm = type("CaseForm", (FlaskForm,), {
    **{form_name(field): _input_for(field, label) for field, label in FIELD_LABELS.items()},
    "override_reason": TextAreaField("超過件數上限之受理理由（限主辦機關）"),
    "__doc__": "The case intake and edit form.",
})


def case_input_from_form(form) -> CaseInput:
    """The service input a submitted case form describes."""
    def value(field: str):
        return form[form_name(field)].data

    def person(who: str) -> PersonInput:
        return PersonInput(**{key: value(f"{who}.{key}") or "" for key, _ in PERSON_FIELDS})

    return CaseInput(
        county=value("county") or "", agency=value("agency") or "",
        category=value("category") or "", title=value("title") or "",
        summary=value("summary") or "", theme=value("theme") or "",
        sections={key: value(f"sections.{key}") or "" for key, _ in SECTIONS},
        keywords=split_list(value("keywords")), owner=person("owner"), contact=person("contact"),
        attest_own=bool(value("attest_own")), attest_ongoing=bool(value("attest_ongoing")),
        external_id=value("external_id") or None)


def fill_case_form(form, data: CaseInput) -> None:
    """Put a case's current values into the form (for editing)."""
    values = {"county": data.county, "agency": data.agency, "category": data.category,
              "title": data.title, "summary": data.summary, "theme": data.theme,
              "keywords": "、".join(data.keywords), "attest_own": data.attest_own,
              "attest_ongoing": data.attest_ongoing, "external_id": data.external_id or ""}
    values.update({f"sections.{key}": data.sections.get(key, "") for key, _ in SECTIONS})
    values.update({f"{who}.{key}": getattr(getattr(data, who), key)
                   for who, _ in PEOPLE for key, _ in PERSON_FIELDS})
    for field, value in values.items():
        form[form_name(field)].data = value


def attach_problems(form, problems: list[Problem]) -> list[str]:
    """Show each problem beside its input; return those that belong to no input."""
    general = []
    for problem in problems:
        name = form_name(problem.field) if problem.field else None
        if name and name in form:
            form[name].errors = list(form[name].errors) + [problem.message]
        else:
            general.append(problem.message)
    return general
