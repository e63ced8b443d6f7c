"""Web forms; the case form is built from the field list that spreadsheets use too."""
from __future__ import annotations

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, SelectField, StringField, TextAreaField, widgets
from wtforms.meta import DefaultMeta
from wtforms.widgets.core import clean_key

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


# --- rendering a form's inputs ----------------------------------------------------------------

def form_field(f, help: str | None = None, limit: int | None = None,
               attributes: dict | None = None) -> Markup:
    """An input as every form shows it (the ``field`` macro of templates/macros.html): its
    label, its help said before typing (and named by ``aria-describedby``), the input with
    ``attributes`` (``aria-invalid`` when it has errors; ``data-max`` and a counter that
    web/static/forms.js fills with ``limit``), then its errors, each naming the input.

    Written in Python, and the usual WTForms inputs by :func:`input_html`, because a case form
    has thirty of them: Jinja macro calls and WTForms' attribute formatting were half of its
    page's time."""
    attributes = attributes or {}
    text, errors = f.label.text, f.errors
    lines = [f'<div class="field{" has-error" if errors else ""}">']
    if f.type == "BooleanField":
        said = f"：{escape(help)}" if help else ""
        lines.append(f'<label class="check">{input_html(f, attributes)} {escape(text)}{said}</label>')
    else:
        field_id = escape(f.id)
        extra = {}
        lines.append(f'<label for="{escape(f.label.field_id)}">{escape(text)}</label>')
        if help:
            lines.append(f'<small id="{field_id}-help">{escape(help)}</small>')
            extra["aria-describedby"] = f"{f.id}-help"
        if limit:
            extra["data-max"] = limit
        if errors:
            extra["aria-invalid"] = "true"
        lines.append(input_html(f, {**attributes, **extra}))
        if limit:
            lines.append(f'<small class="counter" id="{field_id}-count"></small>')
    lines.append("".join(f'<p class="error" role="alert">{escape(text)}：{escape(error)}</p>'
                         for error in errors))
    lines.append("</div>")
    return Markup("\n".join(lines))


_FAST_INPUTS = (widgets.TextInput, widgets.PasswordInput, widgets.CheckboxInput,
                widgets.FileInput, widgets.TextArea, widgets.Select)


def input_html(f, attributes: dict) -> str:
    """The HTML WTForms writes for ``f(**attributes)``, the same to the byte (a test compares
    them), written directly for its text, password, checkbox, file, textarea and select inputs;
    any other input, or one WTForms would render in a way of its own (a data list, option
    groups, a custom meta), is left to WTForms."""
    widget, kind = f.widget, type(f.widget)
    if (kind not in _FAST_INPUTS or getattr(f, "_datalist", None) is not None
            or type(f.meta).render_field is not DefaultMeta.render_field
            or kind is widgets.Select and f.has_groups()):
        return f(**attributes)
    given = {clean_key(k): v for k, v in {**(f.render_kw or {}), **attributes}.items()}
    given.setdefault("id", f.id)
    is_input = isinstance(widget, widgets.Input)
    for flag, value in vars(f.flags).items():  # what dir(flags) lists, as WTForms reads it
        if flag in widget.validation_attrs and flag not in given:
            given[flag] = value() if is_input and callable(value) else value
    if kind is widgets.TextArea:
        return f"<textarea {_attributes(name=f.name, **given)}>\r\n{escape(f._value())}</textarea>"
    if kind is widgets.Select:
        if widget.multiple:
            given["multiple"] = True
        return f"<select {_attributes(name=f.name, **given)}>{_options(f)}</select>"
    if kind is widgets.PasswordInput and widget.hide_value:
        given["value"] = ""
    elif kind is widgets.CheckboxInput and getattr(f, "checked", f.data):
        given.setdefault("checked", True)
    elif kind is widgets.FileInput:
        given["value"] = False
        if widget.multiple:
            given["multiple"] = True
    given.setdefault("type", widget.input_type)
    if "value" not in given:
        given["value"] = f._value()
    return f"<input {_attributes(name=f.name, **given)}>"


def _options(f) -> str:
    """A select's options, as :meth:`wtforms.widgets.Select.render_option` writes them."""
    options = []
    for choice in f.iter_choices():
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        shown = {"value": value, **(choice.render_kw or {})}
        if choice.selected:
            shown["selected"] = True
        options.append(f"<option {_attributes(**shown)}>{escape(choice.label or choice.value)}</option>")
    return "".join(options)


def _attributes(**values) -> str:
    """HTML attributes as :func:`wtforms.widgets.html_params` writes them (sorted by name, True
    as a bare name, False left out), without formatting a Markup string for each."""
    parts = []
    for key, value in sorted(values.items()):
        key = clean_key(key)
        if value is True:
            parts.append(str(escape(key)))
        elif value is not False:
            parts.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return " ".join(parts)
