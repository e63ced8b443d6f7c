"""The instance folder (database, index, uploads, generated files) and opening it."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from kb.cases import search_documents
from kb.db import connect_database, sqlite_url
from kb.editions import load_counties
from kb.migrations import migrate_database
from kb.models import County
from kb.search import configure_search
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
    Returns the concrete database object."""
    home.mkdir(parents=True, exist_ok=True)
    db = connect_database(url or database_url(home))
    migrate_database()
    if not County.select().exists():
        load_counties(load_reference()["counties"])
    segmenter = {"cache_dir": home / "cache", "userdict": Path(str(userdict_path()))}
    configure_segmenter(**segmenter)
    configure_search(home / "index", search_documents, segmenter)
    return db


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
