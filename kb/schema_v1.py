"""Schema version 1, frozen: the tables as the first release created them.

Never edit this to follow the models; a change of schema is a new migration in
:mod:`kb.migrations`.
"""
from __future__ import annotations

from datetime import datetime

from peewee import BooleanField, CharField, DateTimeField, FloatField, ForeignKeyField, IntegerField, TextField

from kb.db import JSONField
from kb.models import now


def create_tables_v1(migrator) -> None:
    """Create the version-1 tables with ``migrator`` (a :class:`kb.migrations.Migrator`) and
    their one-row tables' rows."""
    table = migrator.table
    county = table("county", name=CharField(unique=True), code=CharField(unique=True),
                   variants=JSONField(default=list))
    edition = table("edition", year=IntegerField(unique=True), name=CharField(),
                    intake_open=BooleanField(default=False), settings=JSONField(default=dict),
                    created_at=DateTimeField(default=now))
    region = table("region", indexes=((("edition", "name"), True),),
                   edition=ForeignKeyField(edition, on_delete="CASCADE"), name=CharField(),
                   position=IntegerField())
    region_county = table("regioncounty", indexes=((("edition", "county"), True),),
                          region=ForeignKeyField(region, on_delete="CASCADE"),
                          county=ForeignKeyField(county),
                          edition=ForeignKeyField(edition, on_delete="CASCADE"))
    category = table("category", indexes=((("edition", "name"), True),),
                     edition=ForeignKeyField(edition, on_delete="CASCADE"), name=CharField(),
                     priority=IntegerField(), description=TextField(default=""),
                     position=IntegerField())
    criterion = table("criterion", indexes=((("edition", "name"), True),),
                      edition=ForeignKeyField(edition, on_delete="CASCADE"), name=CharField(),
                      points=FloatField(), description=TextField(default=""),
                      position=IntegerField())
    stage = table("stage", indexes=((("edition", "key"), True),),
                  edition=ForeignKeyField(edition, on_delete="CASCADE"), key=CharField(),
                  name=CharField(), weight=FloatField(), position=IntegerField(),
                  is_open=BooleanField(default=False))
    person = table("person", name=CharField(), title=CharField(default=""),
                   agency=CharField(default=""), county=ForeignKeyField(county, null=True),
                   email=CharField(default=""), phone=CharField(default=""))
    user = table("user", login=CharField(unique=True), name=CharField(), role=CharField(),
                 password_hash=CharField(), county=ForeignKeyField(county, null=True),
                 active=BooleanField(default=True), created_at=DateTimeField(default=now))
    case = table("case", indexes=((("edition", "county", "title"), True),
                                  (("edition", "external_id"), True)),
                 edition=ForeignKeyField(edition, on_delete="CASCADE"),
                 county=ForeignKeyField(county), region=ForeignKeyField(region),
                 category=ForeignKeyField(category), theme=CharField(default=""),
                 agency=CharField(), title=CharField(), summary=TextField(),
                 keywords=JSONField(default=list), attest_own=BooleanField(),
                 attest_ongoing=BooleanField(), status=CharField(default="submitted", index=True),
                 published=BooleanField(default=False, index=True),
                 external_id=CharField(null=True), created_by=ForeignKeyField(user, null=True),
                 created_at=DateTimeField(default=now),
                 updated_at=DateTimeField(default=datetime.now))
    case_version = table("caseversion", indexes=((("case", "kind"), True),),
                         case=ForeignKeyField(case, on_delete="CASCADE"),
                         kind=CharField(default="submitted"), sections=JSONField(default=dict),
                         approved=BooleanField(default=False),
                         created_at=DateTimeField(default=now),
                         updated_at=DateTimeField(default=now))
    case_role = table("caserole", indexes=((("case", "role"), True),),
                      case=ForeignKeyField(case, on_delete="CASCADE"),
                      person=ForeignKeyField(person), role=CharField())
    assignment = table("assignment", indexes=((("stage", "judge", "case"), True),),
                       stage=ForeignKeyField(stage, on_delete="CASCADE"),
                       judge=ForeignKeyField(user), case=ForeignKeyField(case, on_delete="CASCADE"),
                       state=CharField(default="pending"), comment=TextField(default=""),
                       submitted_at=DateTimeField(null=True))
    score = table("score", indexes=((("assignment", "criterion"), True),),
                  assignment=ForeignKeyField(assignment, on_delete="CASCADE"),
                  criterion=ForeignKeyField(criterion), value=FloatField())
    audit_log = table("auditlog", at=DateTimeField(default=now, index=True), actor=CharField(),
                      action=CharField(), table=CharField(), record_id=IntegerField(null=True),
                      before=JSONField(null=True), after=JSONField(null=True),
                      reason=TextField(default=""))
    search_state = table("searchstate", changes=IntegerField(default=0),
                         generation=IntegerField(default=0), stale=BooleanField(default=False),
                         note=TextField(default=""))
    schema_version = table("schemaversion", version=IntegerField())
    migrator.create_tables(county, edition, region, region_county, category, criterion, stage,
                           person, user, case, case_version, case_role, assignment, score,
                           audit_log, search_state, schema_version)
    search_state.create()
    schema_version.create(version=1)
