"""The audit log: every service that changes data writes one record per change."""
from __future__ import annotations

from kb.models import AuditLog, User


def actor_name(actor: User | None) -> str:
    """The name recorded for whoever acts: a login, or 命令列 for an operator at the console."""
    return actor.login if actor is not None else "命令列"


def write_audit(actor: User | None, action: str, table: str, record_id: int | None,
                before: dict | None = None, after: dict | None = None, reason: str = "") -> AuditLog:
    """Record one change; call inside the transaction that makes it."""
    return AuditLog.create(actor=actor_name(actor), action=action, table=table,
                           record_id=record_id, before=before, after=after, reason=reason or "")


def write_audits(actor: User | None, action: str, table: str,
                 changes: list[tuple[int | None, dict | None, dict | None, str]],
                 batch: int = 300) -> None:
    """Record many changes of one kind (record id, before, after, reason) in a few bulk
    statements; call inside the transaction that makes them."""
    rows = [{"actor": actor_name(actor), "action": action, "table": table, "record_id": record_id,
             "before": before, "after": after, "reason": reason or ""}
            for record_id, before, after, reason in changes]
    for start in range(0, len(rows), batch):
        AuditLog.insert_many(rows[start:start + batch]).execute()


def changed_values(before: dict, after: dict) -> tuple[dict, dict]:
    """Keep only the keys whose values differ, so the log shows what changed and nothing else."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
