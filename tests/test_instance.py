"""The instance folder: the database it records at `forum init`, and the secret key shared by
several app servers."""
from __future__ import annotations

import json

from kb.db import connect_database, sqlite_url
from kb.models import Edition
from web import create_app


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
    first, second = create_app(home=home), create_app(home=other_home)
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
