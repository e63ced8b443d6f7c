"""A form input written as every form shows it (the ``field`` macro of templates/macros.html).

Written in Python, and the usual WTForms inputs written here rather than by WTForms, because a
case form has thirty of them: Jinja macro calls and WTForms' attribute formatting were half of
its page's time (issue 15). tests/test_form_fields.py holds every input of every form to the
HTML WTForms writes, byte for byte.
"""
from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.meta import DefaultMeta
from wtforms.widgets.core import clean_key

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
