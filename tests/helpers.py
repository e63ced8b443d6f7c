"""Helpers the tests import (``from helpers import login, csrf_token…``): sample data, signing
in, the browser and office-program switches, reading PDFs. Fixtures are in conftest.py and
scenarios.py."""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote

import pytest
from pypdf import PdfReader
from waitress import wasyncore
from waitress.server import create_server

from kb.cases import SECTIONS, CaseInput, PersonInput

PASSWORD = "correct-horse-1"


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


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


# A browser test module sets ``pytestmark = BROWSER``; a single test takes ``@browser_test``.
browser_test = pytest.mark.skipif(not shutil.which("chromium"),
                                  reason="Debian's chromium is not installed")


BROWSER = [pytest.mark.browser, browser_test]


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


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


POPPLER = ("pdftotext", "pdfinfo", "pdffonts")


needs_poppler = pytest.mark.skipif(not all(shutil.which(t) for t in POPPLER),
                                   reason="poppler-utils (pdftotext, pdfinfo, pdffonts) not installed")


def squeeze(text: str) -> str:
    """``text`` without any white space (line breaks fall anywhere in CJK text)."""
    return re.sub(r"\s+", "", text)


def page_count(pdf: bytes) -> int:
    """The number of pages, as pypdf reads the file."""
    return len(PdfReader(BytesIO(pdf)).pages)


@contextmanager
def served(app):
    """The app served by waitress on a free loopback port (its address given), from a thread of
    its own. It is stopped from inside its own loop: closed from here, a socket can vanish under
    the loop's select() and fail the test that was using it."""
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
