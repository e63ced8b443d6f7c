"""Shared fixtures: every test gets its own instance folder and database; the browser, the
command line and the PDF readers are set up here once for every test module (the helpers tests
import, such as ``login`` and ``case_input``, are in helpers.py; the scenarios several test
modules share, such as ``judged`` and ``winners``, are in scenarios.py).

The database is a SQLite file in the test's temporary folder, or, when
``$FORUM_TEST_DATABASE_URL`` names a PostgreSQL server (``postgresql://user@127.0.0.1:5432/postgres``,
a user allowed to create databases), a database of its own on that server, created for the test
and dropped after it.
"""
from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from exports.pdf import find_cjk_font
from kb.db import connect_database, disconnect_database, sqlite_url
from kb.editions import create_edition, load_counties, set_intake_open
from kb.migrations import migrate_database
from kb.users import add_user
from seeds import load_reference
from web import create_app
from web.cli import main
from kb.instance import open_instance
from helpers import CHROMIUM, CHROMIUM_FLAGS, PASSWORD, served

# Fixtures several test modules share (a forum in a known state: judging panels, a selection
# scored in both stages, published winners, the speaker registry) are in scenarios.py.
pytest_plugins = ["scenarios"]


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


@pytest.fixture
def app(home, edition):
    """The web app on the test's instance folder (CSRF on, as in production)."""
    application = create_app({"TESTING": True}, home=home)
    yield application


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture
def live_server(app):
    """The app served by waitress on a free loopback port."""
    with served(app) as address:
        yield address


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


# --- the command line ------------------------------------------------------------------------

@pytest.fixture
def forum(home):
    """Run `forum --home <test instance> ARGS…`; returns click's result."""
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, ["--home", str(home), *args], input=input)
    return run


# --- PDFs read back --------------------------------------------------------------------------


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


