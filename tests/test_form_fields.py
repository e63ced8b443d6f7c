"""Form inputs as people see them: the label naming the input, the help said before typing, the
errors beside it; written by web.field_html.form_field exactly as WTForms would write each input."""
from __future__ import annotations

import html
import re

import pytest
from markupsafe import Markup
from wtforms import SelectField

from helpers import case_input, csrf_token, login
from kb.cases import SECTIONS, create_case
from web.auth import LoginForm
from web.field_html import input_html
from web.forms import CaseForm
from web.judging_views import ConflictForm, PanelForm, ProfileForm, ScoreForm, StageForm, UploadForm
from web.selection_views import NominationForm, OverrideForm
from web.speaker_views import MergeForm
from web.views import ImportForm
from web.writeup_views import PhotoForm, WorkbookUploadForm, WriteupForm

FORMS = [CaseForm, LoginForm, ScoreForm, ConflictForm, ProfileForm, UploadForm, StageForm,
         PanelForm, NominationForm, OverrideForm, MergeForm, ImportForm, PhotoForm,
         WorkbookUploadForm, WriteupForm]
TRICKY = '臺北市 <b>"&\'</b>'  # text that must be escaped wherever it is written
ATTRIBUTES = [
    {},
    {"rows": 4},
    {"type": "email", "aria-describedby": "x-help", "data-max": 1000, "aria-invalid": "true"},
    {"autocomplete": "username", "autofocus": True, "disabled": False, "accept": ".xlsx"},
    {"class_": TRICKY, "data_note": TRICKY, "required": False, "maxlength": 20,
     "title": Markup('已標記的 "引號"')},
]


def _filled(form) -> None:
    """Give every choice field choices (one selected, one with the tricky text) and every other
    input the tricky text."""
    for f in form:
        if isinstance(f, SelectField) or hasattr(f, "iter_choices"):
            f.choices = [("0", "請選擇"), ("1", TRICKY), ("2", "乙")]
            f.data = [f.coerce("2")] if f.type.startswith("SelectMultiple") else f.coerce("2")
        elif f.type not in ("BooleanField", "FileField", "SubmitField", "CSRFTokenField", "FieldList"):
            f.data = TRICKY


@pytest.mark.parametrize("form_class", FORMS, ids=lambda form: form.__name__)
@pytest.mark.parametrize("state", ["empty", "filled", "sent back"])
def test_every_input_is_written_as_wtforms_writes_it(app, form_class, state):
    data = {"title": TRICKY, "attest_own": "y", "dry_run": "y", "login": "x"} \
        if state == "sent back" else None
    with app.test_request_context("/", method="POST" if data else "GET", data=data or {}):
        form = form_class() if data else form_class(formdata=None)
        if state == "filled":
            _filled(form)
        if state == "sent back":
            form.validate()
        fields = [sub for f in form for sub in (f if f.type in ("FieldList", "FormField") else [f])]
        fields = [sub for f in fields for sub in (f if f.type == "FormField" else [f])]
        for f in fields:
            for attributes in ATTRIBUTES:
                assert input_html(f, dict(attributes)) == str(f(**attributes)), (f.name, attributes)


@pytest.fixture
def county_contact(client, make_user):
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    return client


def _field(page: str, field_id: str) -> str:
    """The block of one input (label, help, input, errors) on a form page."""
    start = page.index(f'<label for="{field_id}">') if f'<label for="{field_id}">' in page else \
        page.index(f'id="{field_id}"')
    start = page.rindex('<div class="field', 0, start)
    return page[start:page.index("</div>", start)]


def test_a_case_form_sent_back_names_each_error_beside_its_input(county_contact):
    client = county_contact
    token = csrf_token(client, "/cases/new")
    page = client.post("/cases/new", data={
        "csrf_token": token, "county": "臺北市", "title": "", "agency": "機關" * 60,
        "contact_email": "not-an-email", "summary": "摘要", "category": "社會福利",
        "attest_own": "y"}).get_data(as_text=True)
    title = _field(page, "title")
    assert '<div class="field has-error">' in title and '<label for="title">案例名稱</label>' in title
    assert re.search(r'<small id="title-help">最多 \d+ 字。</small>', title)
    assert re.search(r'<input aria-describedby="title-help" aria-invalid="true" data-max="\d+" '
                     r'id="title" name="title" type="text" value="">', title)
    assert '<small class="counter" id="title-count"></small>' in title
    assert '<p class="error" role="alert">案例名稱：必須填寫</p>' in title
    agency = html.unescape(_field(page, "agency"))
    assert "提案機關：長度 120 字，超過上限" in agency and f'value="{"機關" * 60}"' in agency
    email = html.unescape(_field(page, "contact_email"))
    assert 'type="email"' in email and 'aria-invalid="true"' in email
    assert "「not-an-email」不是有效的電子郵件地址" in email
    own = _field(page, "attest_own")
    assert re.search(r'<label class="check"><input checked id="attest_own" name="attest_own" '
                     r'type="checkbox" value="y"> [^<：]+：本案由本縣市自行辦理', own)
    ongoing = _field(page, "attest_ongoing")
    assert "checked" not in ongoing and '<p class="error" role="alert">' in ongoing
    county = _field(page, "county")
    assert '<option selected value="臺北市">臺北市</option>' in county and "has-error" not in county
    summary = _field(page, "summary")
    assert re.search(r'<textarea aria-describedby="summary-help" data-max="\d+" id="summary" '
                     r'name="summary" rows="4">\r\n摘要</textarea>', summary)


def test_a_case_edit_form_shows_the_case_as_it_stands(client, make_user, edition):
    case = create_case(104, case_input(title="銀髮共餐 <據點>", keywords=["長照", "共餐"]))
    make_user("staff", login="staff")
    login(client, "staff")
    page = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert 'id="title" name="title" type="text" value="銀髮共餐 &lt;據點&gt;"' in page
    assert 'value="長照、共餐"' in page and '<option selected value="社會福利">' in page
    for key, label in SECTIONS:
        assert f"\r\n{label}的說明文字。</textarea>" in page
    assert page.count('type="checkbox" value="y">') == 2 and page.count("<input checked") == 2
