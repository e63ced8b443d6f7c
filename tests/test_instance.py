"""The instance folder: the database it records at `forum init`, the secret key and the photo
folder shared by several app servers, connections reused between requests."""
from __future__ import annotations

import json
from io import BytesIO

from PIL import Image

from helpers import case_input
from kb.cases import SECTIONS, create_case, set_case_statuses
from kb.db import connect_database, sqlite_url
from kb.models import Edition
from kb.writeups import add_photo, approve_refined, save_refined_writeup
from web import create_app
from kb.instance import uploads_folder


def test_init_records_the_database_of_the_home(forum, home, monkeypatch, tmp_path):
    monkeypatch.delenv("FORUM_DATABASE_URL", raising=False)
    assert forum("init").exit_code == 0
    recorded = json.loads((home / "forum.json").read_text("utf-8"))
    assert recorded == {"database_url": sqlite_url(home / "forum.db")}


def test_a_home_keeps_its_database_when_the_setting_is_gone(forum, home, monkeypatch,
                                                            new_database):
    url = new_database()
    monkeypatch.setenv("FORUM_DATABASE_URL", url)
    assert forum("init").exit_code == 0
    monkeypatch.delenv("FORUM_DATABASE_URL")
    assert forum("edition", "create", "104").exit_code == 0
    assert not (home / "forum.db").exists()
    db = connect_database(url)
    assert [e.year for e in Edition.select()] == [104]
    db.close()


def test_a_home_refuses_another_database_than_its_own(forum, home, monkeypatch, new_database):
    assert forum("init").exit_code == 0
    monkeypatch.setenv("FORUM_DATABASE_URL", new_database())
    result = forum("edition", "create", "104")
    assert result.exit_code == 1
    assert "記錄的資料庫" in result.stderr and "forum.json" in result.stderr


def test_every_app_server_signs_sessions_with_the_shared_key(tmp_path, monkeypatch, home,
                                                            edition):
    monkeypatch.setenv("FORUM_SECRET_KEY", "shared-by-every-server")
    other_home = tmp_path / "second"
    (other_home).mkdir()
    (other_home / "forum.json").write_text((home / "forum.json").read_text("utf-8"), "utf-8")
    # TESTING: no background index catch-up, which would outlive the test's database
    first, second = (create_app({"TESTING": True}, home=folder) for folder in (home, other_home))
    assert first.secret_key == second.secret_key == "shared-by-every-server"
    assert not (home / "secret_key").exists()


def test_requests_reuse_a_connection_instead_of_opening_one_each(client, monkeypatch):
    """SQLite: the thread keeps its connection (no PRAGMAs per request); PostgreSQL: the pool
    hands the same connection back."""
    from peewee import PostgresqlDatabase, SqliteDatabase

    from kb.db import database

    client.get("/login")
    opened = []
    backend = PostgresqlDatabase if isinstance(database.obj, PostgresqlDatabase) else SqliteDatabase
    real_connect = backend._connect
    monkeypatch.setattr(backend, "_connect", lambda self: opened.append(1) or real_connect(self))
    for _ in range(5):
        assert client.get("/login").status_code == 200
    assert opened == []


def test_photos_go_to_the_shared_folder_and_a_missing_one_stops_the_anthology(
        edition, forum, home, monkeypatch, tmp_path):
    monkeypatch.setenv("FORUM_UPLOADS", str(tmp_path / "shared-photos"))
    case = create_case(104, case_input())
    set_case_statuses({case.id: ("benchmark", True)})
    save_refined_writeup(case.id, {key: "精進內容" for key, _ in SECTIONS}, [])
    picture = BytesIO()
    Image.new("RGB", (400, 300), "teal").save(picture, "PNG")
    photo = add_photo(case.id, picture.getvalue(), "開幕合影", uploads=uploads_folder(home))
    approve_refined(case.id)
    stored = tmp_path / "shared-photos" / photo.filename
    assert stored.exists() and not (home / "uploads" / photo.filename).exists()
    assert forum("anthology", "--year", "104", "-o", str(tmp_path / "book.pdf")).exit_code == 0

    stored.unlink()  # as on a server that does not mount the shared folder
    result = forum("anthology", "--year", "104", "-o", str(tmp_path / "book.pdf"))
    assert result.exit_code == 1 and "照片「開幕合影」不在照片資料夾" in result.stderr
