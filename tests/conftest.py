"""Shared fixtures and helpers: every test gets its own instance folder and database; the
browser, the command line and the PDF readers are set up here once for every test module.

The database is a SQLite file in the test's temporary folder, or, when
``$FORUM_TEST_DATABASE_URL`` names a PostgreSQL server (``postgresql://user@127.0.0.1:5432/postgres``,
a user allowed to create databases), a database of its own on that server, created for the test
and dropped after it.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import threading
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from waitress.server import create_server

from exports.pdf import find_cjk_font
from kb.cases import SECTIONS, CaseInput, PersonInput
from kb.db import connect_database, disconnect_database, sqlite_url
from kb.editions import create_edition, load_counties, set_intake_open
from kb.migrations import migrate_database
from kb.users import add_user
from seeds import load_reference
from web import create_app
from web.cli import main
from web.instance import open_instance

PASSWORD = "correct-horse-1"


# --- the database backend --------------------------------------------------------------------

TEST_SERVER_URL = os.environ.get("FORUM_TEST_DATABASE_URL", "")
ON_POSTGRESQL = TEST_SERVER_URL.startswith(("postgres", "psycopg"))


def pytest_collection_modifyitems(config, items):
    """Tests marked ``sqlite_only`` (about SQLite's own file or locking) skip on PostgreSQL;
    tests marked ``postgresql_only`` (several app servers on one database) skip on SQLite."""
    marker, reason = (("sqlite_only", "about SQLite's own file or locking") if ON_POSTGRESQL
                      else ("postgresql_only", "needs PostgreSQL ($FORUM_TEST_DATABASE_URL)"))
    for item in items:
        if item.get_closest_marker(marker):
            item.add_marker(pytest.mark.skip(reason=reason))


class TestDatabases:
    """Fresh databases for tests: SQLite files, or PostgreSQL databases on the test server.

    On PostgreSQL each pytest worker first builds a template database (migrated, reference
    counties loaded) and every new database is a copy of it, which is faster than migrating.
    """

    def __init__(self, server_url: str):
        self.server_url = server_url
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.prefix = f"forum_test_{os.getpid()}_{worker}"
        self.numbers = itertools.count(1)
        self.template = None
        self.admin = None
        if server_url:
            import psycopg2

            self.admin = psycopg2.connect(server_url)
            self.admin.autocommit = True

    def url_of(self, name: str) -> str:
        """The URL of the database ``name`` on the test server."""
        return urlparse(self.server_url)._replace(path=f"/{name}").geturl()

    def new(self, sqlite_path: Path, *, empty: bool = False) -> str:
        """The URL of a new database: the SQLite file ``sqlite_path``, or a new PostgreSQL
        database (with no tables when ``empty``, else migrated with the reference counties)."""
        if not self.admin:
            return sqlite_url(sqlite_path)
        if not empty and self.template is None:
            self.template = self._create(f"{self.prefix}_template")
            connect_database(self.url_of(self.template))
            migrate_database()
            load_counties(load_reference()["counties"])
            disconnect_database()  # a template with a connection cannot be copied
        return self.url_of(self._create(f"{self.prefix}_{next(self.numbers)}",
                                        None if empty else self.template))

    def _create(self, name: str, template: str | None = None) -> str:
        with self.admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"'
                           + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop(self, url: str) -> None:
        """Drop the PostgreSQL database at ``url`` (a SQLite file goes with its folder)."""
        if self.admin:
            self._drop(urlparse(url).path.lstrip("/"))

    def _drop(self, name: str) -> None:
        with self.admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        """Drop the template and let go of the server."""
        if self.admin:
            if self.template:
                self._drop(self.template)
            self.admin.close()


@pytest.fixture(scope="session")
def databases():
    """The test databases of this pytest process (see :class:`TestDatabases`)."""
    made = TestDatabases(TEST_SERVER_URL if ON_POSTGRESQL else "")
    yield made
    made.close()


@pytest.fixture
def new_database(databases, tmp_path):
    """new_database(empty=False) -> the URL of one more fresh database, dropped after the test."""
    made = []

    def new(empty: bool = False) -> str:
        made.append(databases.new(tmp_path / f"extra{len(made)}.db", empty=empty))
        return made[-1]
    yield new
    for url in made:
        databases.drop(url)


@pytest.fixture
def home(tmp_path, databases, monkeypatch):
    """A fresh instance folder; on PostgreSQL, $FORUM_DATABASE_URL names the test's own
    database (for this process and any it starts)."""
    folder = tmp_path / "instance"
    if not ON_POSTGRESQL:
        monkeypatch.delenv("FORUM_DATABASE_URL", raising=False)
        yield folder
        return
    url = databases.new(folder / "forum.db")
    monkeypatch.setenv("FORUM_DATABASE_URL", url)
    yield folder
    databases.drop(url)


@pytest.fixture
def db(home):
    """A migrated database with the reference counties, closed after the test."""
    database = open_instance(home)
    yield database
    disconnect_database()


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


def saved_name(response) -> str:
    """The file name a browser saves a download under: the RFC 5987 ``filename*`` of its
    Content-Disposition (which must also carry an ASCII ``filename`` for old clients)."""
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment;") and "filename=" in header, header
    return unquote(header.split("filename*=UTF-8''", 1)[1])


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
