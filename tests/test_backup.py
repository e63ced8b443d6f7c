"""Backup and restore with each backend's native tools, as README's Deployment section says:
`sqlite3 forum.db ".backup F"` while the server runs, or `pg_dump -Fc` and `pg_restore`."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from peewee import PostgresqlDatabase

from helpers import case_input
from kb.cases import create_case
from kb.db import database, disconnect_database, sqlite_url
from kb.models import AuditLog, Case
from kb.instance import database_url, open_instance


def test_a_backup_restored_elsewhere_has_every_case_and_audit_record(edition, home, tmp_path,
                                                                      new_database):
    create_case(104, case_input())
    expected = ([c.title for c in Case.select()], AuditLog.select().count())
    on_postgresql = isinstance(database.obj, PostgresqlDatabase)
    tools = ("pg_dump", "pg_restore") if on_postgresql else ("sqlite3",)
    if not all(shutil.which(tool) for tool in tools):
        pytest.skip(f"{' / '.join(tools)} not installed")
    dump = tmp_path / "forum.backup"
    if on_postgresql:
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), database_url(home)], check=True)
        restored = new_database(empty=True)
        subprocess.run(["pg_restore", "--no-owner", "-d", restored, str(dump)], check=True)
    else:  # while the database is open, as on a running server
        subprocess.run(["sqlite3", str(home / "forum.db"), f".backup '{dump}'"], check=True)
        restored = sqlite_url(dump)
    create_case(104, case_input(title="備份之後的案例"))  # not in the backup
    disconnect_database()

    open_instance(tmp_path / "restored", restored)
    assert ([c.title for c in Case.select()], AuditLog.select().count()) == expected
