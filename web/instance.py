"""The instance folder (database, index, uploads, generated files) and opening it."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

from kb.cases import search_documents
from kb.db import connect_database, sqlite_url
from kb.editions import load_counties
from kb.migrations import migrate_database
from kb.models import County
from kb.search import CaseSearch, configure_search
from kb.segment import configure_segmenter
from seeds import load_reference, userdict_path


def instance_home(home: str | os.PathLike | None = None) -> Path:
    """The instance folder: ``home``, else $FORUM_HOME, else ./instance (absolute)."""
    chosen = home or os.environ.get("FORUM_HOME") or "instance"
    return Path(chosen).expanduser().resolve()


def database_url(home: Path) -> str:
    """$FORUM_DATABASE_URL, else a SQLite file in the instance folder."""
    return os.environ.get("FORUM_DATABASE_URL") or sqlite_url(home / "forum.db")


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
    if not County.select().exists():
        load_counties(load_reference()["counties"])
    segmenter = {"cache_dir": home / "cache", "userdict": Path(str(userdict_path()))}
    configure_segmenter(**segmenter)
    configure_search(CaseSearch(home / "index", search_documents, segmenter=segmenter))
    return db


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
    """The session-signing key, generated into the instance folder on first use."""
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
