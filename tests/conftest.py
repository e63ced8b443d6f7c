"""Shared fixtures and helpers: every test gets its own instance folder and database; the
browser, the command line and the PDF readers are set up here once for every test module."""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from waitress.server import create_server

from exports.pdf import find_cjk_font
from kb.cases import SECTIONS, CaseInput, PersonInput
from kb.editions import create_edition, set_intake_open
from kb.users import add_user
from seeds import load_reference
from web import create_app
from web.cli import main
from web.instance import open_instance

PASSWORD = "correct-horse-1"


@pytest.fixture
def home(tmp_path):
    """A fresh instance folder."""
    return tmp_path / "instance"


@pytest.fixture
def db(home):
    """A migrated database with the reference counties, closed after the test."""
    database = open_instance(home)
    yield database
    database.close()


@pytest.fixture
def edition(db):
    """Year 104 set up from the reference data, with intake open."""
    create_edition(104, load_reference()["edition"])
    return set_intake_open(104, True)


@pytest.fixture
def make_user(db):
    """Create a user: make_user("staff") or make_user("county", county="臺北市")."""
    made = []

    def make(role: str, login: str | None = None, county: str | None = None):
        made.append(role)
        return add_user(login or f"{role}{len(made)}", role=role, name=f"測試{role}",
                        password=PASSWORD, county=county)
    return make


def case_input(**changes) -> CaseInput:
    """A complete, valid case input for 臺北市; keyword arguments replace fields."""
    values = dict(
        county="臺北市", agency="臺北市政府社會局", category="社會福利",
        title="銀髮共餐據點擴展計畫", summary="結合社區發展協會設置共餐據點，減少獨居長者孤立。",
        sections={key: f"{label}的說明文字。" for key, label in SECTIONS},
        keywords=["長期照顧", "社區營造"],
        owner=PersonInput(name="王文彥", title="科長"),
        contact=PersonInput(name="林佳蓉", title="專員", phone="02-2720-8889"),
        attest_own=True, attest_ongoing=True)
    values.update(changes)
    return CaseInput(**values)


@pytest.fixture
def app(home, edition):
    """The web app on the test's instance folder (CSRF on, as in production)."""
    application = create_app({"TESTING": True}, home=home)
    yield application


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on the page at ``url``."""
    page = client.get(url).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def login(client, user_login: str, password: str = PASSWORD):
    """Sign in through the login form."""
    token = csrf_token(client, "/login")
    return client.post("/login", data={"login": user_login, "password": password,
                                       "csrf_token": token}, follow_redirects=True)


# --- the browser -----------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A browser test module sets ``pytestmark = BROWSER``; a single test takes ``@browser_test``.
browser_test = pytest.mark.skipif(not shutil.which("chromium"),
                                  reason="Debian's chromium is not installed")
BROWSER = [pytest.mark.browser, browser_test]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app):
    """The app served by waitress on a free loopback port."""
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def page(tmp_path):
    """A Chromium page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(locale="zh-TW")
        yield context.new_page()
        context.close()
        browser.close()


def browser_login(page, server: str, user_login: str, password: str = PASSWORD) -> None:
    """Sign in through the login page in a Playwright ``page`` of the live ``server``, typing
    only (the login box takes the focus by itself); waits for the landing page (a judge's is
    their work, everyone else's the front page)."""
    page.goto(f"{server}/login")
    page.wait_for_selector("#login:focus")
    page.keyboard.type(user_login)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(server) + r"/(judging/)?$"))


needs_libreoffice = pytest.mark.skipif(shutil.which("soffice") is None,
                                       reason="LibreOffice is not installed")


def resaved_by_libreoffice(path: Path, tmp_path: Path) -> bytes:
    """The .xlsx at ``path`` opened and saved again by LibreOffice, as a person re-saving it
    would (its own profile under ``tmp_path``)."""
    resaved = tmp_path / "resaved"
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(resaved), str(path)],
        check=True, capture_output=True, timeout=180)
    return (resaved / path.name).read_bytes()


# --- the command line ------------------------------------------------------------------------

@pytest.fixture
def forum(home):
    """Run `forum --home <test instance> ARGS…`; returns click's result."""
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, ["--home", str(home), *args], input=input)
    return run


# --- PDFs read back --------------------------------------------------------------------------

POPPLER = ("pdftotext", "pdfinfo", "pdffonts")
needs_poppler = pytest.mark.skipif(not all(shutil.which(t) for t in POPPLER),
                                   reason="poppler-utils (pdftotext, pdfinfo, pdffonts) not installed")


@pytest.fixture(autouse=True)
def no_font_setting(monkeypatch):
    """Font discovery looks at the system, not at the developer's $FORUM_PDF_FONT."""
    monkeypatch.delenv("FORUM_PDF_FONT", raising=False)


@pytest.fixture
def truetype():
    """The system's TrueType CJK font; skips without one."""
    choice = find_cjk_font()
    if not choice.embedded:
        pytest.skip("no TrueType CJK font installed (apt-get install fonts-arphic-uming)")
    return choice


@pytest.fixture
def poppler(tmp_path):
    """run(tool, pdf_bytes, *args) -> stdout of a poppler tool on the PDF."""
    def run(tool: str, pdf: bytes, *args: str) -> str:
        path = tmp_path / "file.pdf"
        path.write_bytes(pdf)
        tail = ["-"] if tool == "pdftotext" else []
        done = subprocess.run([tool, *args, str(path), *tail], capture_output=True, check=True)
        return done.stdout.decode("utf-8")
    return run


def squeeze(text: str) -> str:
    """``text`` without any white space (line breaks fall anywhere in CJK text)."""
    return re.sub(r"\s+", "", text)


def page_count(pdf: bytes) -> int:
    """The number of pages, as pypdf reads the file."""
    return len(PdfReader(BytesIO(pdf)).pages)
