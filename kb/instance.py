"""The instance folder (database, index, uploads, generated files) and opening it.

The folder records the database it belongs to in ``forum.json`` when it is first opened
(``forum init``), so that a later start without ``$FORUM_DATABASE_URL`` uses the same database
instead of quietly creating an empty SQLite file.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

from kb.cases import search_documents
from kb.db import connect_database, sqlite_url
from kb.editions import load_counties
from kb.errors import ForumError
from kb.migrations import migrate_database
from kb.models import County
from kb.search import configure_search
from kb.segment import configure_segmenter
from seeds import load_reference, userdict_path


def instance_home(home: str | os.PathLike | None = None) -> Path:
    """The instance folder: ``home``, else $FORUM_HOME, else ./instance (absolute)."""
    chosen = home or os.environ.get("FORUM_HOME") or "instance"
    return Path(chosen).expanduser().resolve()


CONFIG_FILE = "forum.json"


class InstanceError(ForumError):
    """An instance folder that does not agree with the configuration it is started with."""


def _shown(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlparse(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def recorded_config(home: Path) -> dict:
    """The settings recorded in the instance folder's ``forum.json`` (empty before its first
    opening)."""
    path = home / CONFIG_FILE
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def database_url(home: Path) -> str:
    """The database of the instance folder: the one recorded in its ``forum.json``; for a folder
    not yet opened, $FORUM_DATABASE_URL, else a SQLite file in the folder. A
    $FORUM_DATABASE_URL naming another database than the recorded one is refused."""
    chosen = os.environ.get("FORUM_DATABASE_URL")
    recorded = recorded_config(home).get("database_url")
    if recorded and chosen and chosen != recorded:
        raise InstanceError(f"執行個體 {home} 記錄的資料庫是 {_shown(recorded)}（{CONFIG_FILE}），"
                            f"與 FORUM_DATABASE_URL 的 {_shown(chosen)} 不同；"
                            f"請改正設定，或改用另一個執行個體資料夾")
    return recorded or chosen or sqlite_url(home / "forum.db")


def _record_database(home: Path, url: str) -> None:
    """Write ``url`` into the folder's ``forum.json`` unless a database is recorded already."""
    config = recorded_config(home)
    if config.get("database_url"):
        return
    config["database_url"] = url
    draft = home / f"{CONFIG_FILE}.{os.getpid()}"
    draft.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.chmod(draft, 0o600)  # the URL may hold a password
    draft.replace(home / CONFIG_FILE)


def open_instance(home: Path, url: str | None = None):
    """Create the folder if needed, connect the database, bring its schema up to date, make
    sure the reference counties exist, and set up search on the folder's index.
    The folder and its uploads and exports folders are made private to their owner (0700) and
    so is a new SQLite database (0600; SQLite gives its -wal and -shm files the database's mode). Returns the concrete database
    object."""
    for folder in (home, home / "uploads", home / "exports"):
        if not folder.exists():
            folder.mkdir(parents=True, mode=PRIVATE_FOLDER)
            folder.chmod(PRIVATE_FOLDER)  # mkdir's mode is cut by the umask
    url = url or database_url(home)
    database_file = sqlite_file(url)
    new_file = database_file is not None and not database_file.exists()
    db = connect_database(url)
    if new_file:
        db.connect(reuse_if_open=True)  # creates the file, so that it can be made private now
        database_file.chmod(PRIVATE_FILE)
    migrate_database()
    _record_database(home, url)
    if not County.select().exists():
        load_counties(load_reference()["counties"])
    segmenter = {"cache_dir": home / "cache", "userdict": Path(str(userdict_path()))}
    configure_segmenter(**segmenter)
    configure_search(home / "index", search_documents, segmenter)
    return db


def uploads_folder(home: Path) -> Path:
    """Where photos are kept: $FORUM_UPLOADS (one folder every app server of a database
    mounts), else the instance folder's ``uploads``."""
    shared = os.environ.get("FORUM_UPLOADS", "").strip()
    return Path(shared).expanduser().resolve() if shared else home / "uploads"
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
PRIVATE_PARTS = ("forum.db", "forum.db-wal", "forum.db-shm", "secret_key", "uploads", "exports")


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL, or None for another database."""
    parsed = urlparse(url)
    if not parsed.scheme.startswith("sqlite") or parsed.path in ("", "/:memory:"):
        return None
    return Path(parsed.path[1:])  # sqlite:///forum.db is relative, sqlite:////srv/forum.db not


def loose_permissions(home: Path) -> list[str]:
    """The instance folder and the files in it that other local users can read or enter, each
    as 「path (mode)」, for a warning at start; empty when all are private."""
    loose = []
    for path in (home, *(home / part for part in PRIVATE_PARTS)):
        if path.exists() and path.stat().st_mode & 0o077:
            loose.append(f"{path}（{oct(path.stat().st_mode & 0o777)[2:]}）")
    return loose


def secret_key(home: Path) -> str:
    """The session-signing key: $FORUM_SECRET_KEY (the same on every app server of one
    database), else one generated into the instance folder on first use."""
    if shared := os.environ.get("FORUM_SECRET_KEY", "").strip():
        return shared
    path = home / "secret_key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        draft = home / f"secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)  # atomic: two first starts at once agree on one key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
