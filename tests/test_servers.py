"""Two app servers, each with its own instance folder, on one PostgreSQL database (README,
Deployment): a session signed in on one is valid on the other, a photo uploaded through one is
served and printed by the other (and a missing photo is an error there), and an edit made on one
is found by the other's search within 5 seconds.

Each server is a real `forum serve` process (waitress) on a free loopback port, sharing
$FORUM_SECRET_KEY and $FORUM_UPLOADS as the deployment section says."""
from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import uuid
from io import BytesIO
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest
from PIL import Image
from pypdf import PdfReader

from helpers import _CSRF, PASSWORD, case_input
from kb.cases import SECTIONS, create_case, set_case_statuses
from kb.models import CasePhoto
from kb.writeups import approve_refined, save_refined_writeup
from test_web import case_form

pytestmark = pytest.mark.postgresql_only

START_SECONDS = 90  # a guard for a loaded machine: the wait ends as soon as the server answers
SEARCH_SECONDS = 5  # the promise: an edit on one server is searchable on every other by then


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """One person's browser: a cookie jar, sent to whichever server it asks (as behind one
    reverse proxy); every answer is (status, final URL, body)."""

    def __init__(self):
        self.opener = build_opener(HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, url: str, data: bytes | None = None, headers: dict | None = None):
        try:
            with self.opener.open(Request(url, data=data, headers=headers or {}), timeout=60) as answer:
                return answer.status, answer.url, answer.read()
        except HTTPError as error:
            return error.code, error.url, error.read()

    def text(self, url: str) -> str:
        status, _, body = self.open(url)
        assert status == 200, (url, status)
        return body.decode("utf-8")

    def post(self, url: str, form: dict):
        return self.open(url, urlencode(form).encode())

    def post_file(self, url: str, form: dict, name: str, filename: str, content: bytes):
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
                 for key, value in form.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode()
                     + content + f"\r\n--{boundary}--\r\n".encode())
        return self.open(url, b"".join(parts),
                         {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def token(self, url: str) -> str:
        match = _CSRF.search(self.text(url))
        assert match, f"no CSRF token on {url}"
        return match.group(1) or match.group(2)


def start_server(home, env: dict, log) -> tuple[subprocess.Popen, str]:
    """`forum --home HOME serve` on a free loopback port; returns the process and its address
    once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "--home", str(home),
         "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def wait_until_serving(process: subprocess.Popen, address: str, log_path) -> None:
    deadline = time.monotonic() + START_SECONDS
    probe = Browser()
    while True:
        assert process.poll() is None, log_path.read_text("utf-8", "replace")
        try:
            if probe.open(f"{address}/login")[0] == 200:
                return
        except (URLError, ConnectionError):
            pass  # not listening yet
        assert time.monotonic() < deadline, log_path.read_text("utf-8", "replace")
        time.sleep(0.1)  # between polls only; nothing is decided by how long this takes


def found(browser: Browser, server: str, words: str, title: str) -> bool:
    return title in browser.text(f"{server}/search?q={quote(words)}")


def wait_until_indexed(browser: Browser, server: str) -> None:
    """Until the server's own index, built in the background at its start, is in use."""
    deadline = time.monotonic() + START_SECONDS
    while "搜尋索引建立中" in browser.text(f"{server}/search?q={quote('共餐')}"):
        assert time.monotonic() < deadline, "the search index was not built"
        time.sleep(0.1)  # between polls only


def test_two_app_servers_on_one_database_share_sessions_photos_and_edits(
        edition, make_user, tmp_path):
    make_user("staff", login="staff")
    case = create_case(104, case_input())
    set_case_statuses({case.id: ("benchmark", True)})
    save_refined_writeup(case.id, {key: "精進內容" for key, _ in SECTIONS}, [])
    photos = tmp_path / "shared-photos"
    photos.mkdir(mode=0o700)
    env = {**os.environ, "FORUM_SECRET_KEY": "shared-by-both-servers",
           "FORUM_UPLOADS": str(photos)}
    servers, logs = [], []
    try:
        for number, folder in enumerate((tmp_path / "machine1", tmp_path / "machine2")):
            logs.append(tmp_path / f"server{number}.log")
            with logs[-1].open("w") as log:
                servers.append(start_server(folder, env, log))
        for (process, address), log_path in zip(servers, logs):
            wait_until_serving(process, address, log_path)
        (_, one), (_, two) = servers
        browser = Browser()

        # signed in on server 1, the same cookie is a staff session on server 2
        status, landed, _ = browser.post(f"{one}/login", {
            "login": "staff", "password": PASSWORD, "csrf_token": browser.token(f"{one}/login")})
        assert status == 200 and landed == f"{one}/"
        status, landed, _ = browser.open(f"{two}/cases/{case.id}/edit")
        assert status == 200 and landed == f"{two}/cases/{case.id}/edit"

        # a photo sent to server 1 is shown and printed by server 2
        picture = BytesIO()
        Image.new("RGB", (400, 300), "teal").save(picture, "PNG")
        writeup = f"{one}/cases/{case.id}/refined"
        status, _, _ = browser.post_file(f"{writeup}/photos", {
            "csrf_token": browser.token(writeup), "caption": "開幕合影"},
            "photo", "opening.png", picture.getvalue())
        assert status == 200
        photo = CasePhoto.get()
        approve_refined(case.id)
        status, _, served = browser.open(f"{two}/photos/{photo.id}")
        assert status == 200 and served == (photos / photo.filename).read_bytes()
        status, _, book = browser.open(f"{two}/results/104/anthology.pdf")
        assert status == 200
        assert sum(len(page.images) for page in PdfReader(BytesIO(book)).pages) == 1

        # an edit on server 1 is found by server 2's search within 5 seconds
        wait_until_indexed(browser, two)
        assert not found(browser, two, "潮間帶復育", case.title)
        edit = f"{one}/cases/{case.id}/edit"
        status, _, _ = browser.post(edit, case_form(browser.token(edit),
                                                    summary="結合潮間帶復育與共餐據點。"))
        assert status == 200
        deadline = time.monotonic() + SEARCH_SECONDS
        while not found(browser, two, "潮間帶復育", case.title):
            assert time.monotonic() < deadline, "server 2 did not find the edit within 5 s"

        # a photo server 2 cannot read stops its anthology with the reason
        (photos / photo.filename).unlink()
        status, _, page = browser.open(f"{two}/results/104/anthology.pdf")
        assert status == 404 and "照片「開幕合影」不在照片資料夾" in page.decode("utf-8")
    finally:
        for process, _ in servers:
            process.kill()
            process.wait(timeout=30)
