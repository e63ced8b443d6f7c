"""The audit log: every service that changes data writes one record per change."""
from __future__ import annotations

from kb.db import insert_rows
from kb.models import AuditLog, User, now


def actor_name(actor: User | str | None) -> str:
    """The name recorded for whoever acts: a login, 命令列 for an operator at the console, or
    the text given for someone not signed in (e.g. a sign-in attempt's login and address)."""
    if isinstance(actor, str):
        return actor
    return actor.login if actor is not None else "命令列"


def write_audit(actor: User | str | None, action: str, table: str, record_id: int | None,
                before: dict | None = None, after: dict | None = None, reason: str = "") -> AuditLog:
    """Record one change; call inside the transaction that makes it."""
    return AuditLog.create(actor=actor_name(actor), action=action, table=table,
                           record_id=record_id, before=before, after=after, reason=reason or "")


AUDIT_FIELDS = (AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.table, AuditLog.record_id,
                AuditLog.before, AuditLog.after, AuditLog.reason)


def write_audits(actor: User | None, action: str, table: str,
                 changes: list[tuple[int | None, dict | None, dict | None, str]]) -> None:
    """Record many changes of one kind (record id, before, after, reason) in a few bulk
    statements; call inside the transaction that makes them."""
    at, name = now(), actor_name(actor)
    insert_rows(AuditLog, list(AUDIT_FIELDS),
                [(at, name, action, table, record_id, before, after, reason or "")
                 for record_id, before, after, reason in changes])


def changed_values(before: dict, after: dict) -> tuple[dict, dict]:
    """Keep only the keys whose values differ, so the log shows what changed and nothing else."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


AUDIT_EXPORT_LIMIT = 50_000  # rows in one .xlsx export


def _year_records(year: int):
    """The (table, id) pairs that belong to year ``year``: its edition, stages, cases and the
    assignments and conflicts still on its cases."""
    from kb.models import Assignment, Case, Conflict, Edition, Stage

    edition = Edition.select(Edition.id).where(Edition.year == year)
    cases = Case.select(Case.id).where(Case.edition.in_(edition))
    return (((AuditLog.table == "edition") & AuditLog.record_id.in_(edition))
            | ((AuditLog.table == "stage")
               & AuditLog.record_id.in_(Stage.select(Stage.id).where(Stage.edition.in_(edition))))
            | ((AuditLog.table == "case") & AuditLog.record_id.in_(cases))
            | ((AuditLog.table == "assignment") & AuditLog.record_id.in_(
                Assignment.select(Assignment.id).where(Assignment.case.in_(cases))))
            | ((AuditLog.table == "conflict") & AuditLog.record_id.in_(
                Conflict.select(Conflict.id).where(Conflict.case.in_(cases)))))


def find_audit(*, year: int | None = None, actor: str | None = None, action: str | None = None,
               record: str | None = None):
    """The audit records, newest first, filtered by year, acting login, action and record
    (``table`` or ``table:id``, e.g. ``user:7``)."""
    query = AuditLog.select().order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if year is not None:
        query = query.where(_year_records(year))
    if actor:
        query = query.where(AuditLog.actor == actor)
    if action:
        query = query.where(AuditLog.action == action)
    if record:
        table, _, number = record.partition(":")
        query = query.where(AuditLog.table == table.strip())
        if number.strip().isdigit() and len(number.strip()) <= 9:
            query = query.where(AuditLog.record_id == int(number))
    return query


def audit_choices() -> dict[str, list[str]]:
    """The actors, actions and tables the audit log holds, for the filter lists: one pass
    over the index of these three columns (migration 17), not over the records with their
    wide before/after texts."""
    rows = list(AuditLog.select(AuditLog.actor, AuditLog.action, AuditLog.table)
                .distinct().tuples())
    actors, actions, tables = (sorted({row[n] for row in rows}) for n in range(3))
    return {"actors": actors, "actions": actions, "tables": tables}


def audit_dicts(query) -> list[dict]:
    """The records of a :func:`find_audit` query as plain data (id, at, actor, action, table,
    record_id, before, after, reason), without a model row built for each."""
    return list(query.dicts())
