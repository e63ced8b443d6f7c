"""Staff's side of the judges: the effect of a profile change before it is saved, and the
screening panel (書面篩選評審名單) that the auto-assignment draws from."""
from __future__ import annotations

from kb.audit import write_audit
from kb.db import database, for_update
from kb.errors import Problem, ValidationError
from kb.models import Assignment, Case, County, PanelMember, Stage, User
from kb.policy import is_active_judge
from kb.stages import get_stage
from kb.users import find_county_by_name, get_user


def profile_withdrawals(login: str, counties: list[str]) -> list[Assignment]:
    """The assignments that tying judge ``login`` to ``counties`` would withdraw (conflicts),
    with their case and stage, for the page to show before saving."""
    judge = get_user(login)
    tied = [find_county_by_name(name).name for name in counties]
    if not tied:
        return []
    return list(Assignment.select(Assignment, Case, County, Stage).join(Case).join(County)
                .switch(Assignment).join(Stage)
                .where((Assignment.judge == judge) & County.name.in_(tied))
                .order_by(Stage.position, Case.id))


def screening_panel(year: int) -> list[User]:
    """The judges chosen to screen year ``year`` (empty: every active judge may be assigned)."""
    stage = get_stage(year, "screening")
    return list(User.select().join(PanelMember, on=(PanelMember.judge == User.id))
                .where((PanelMember.stage == stage) & PanelMember.region.is_null())
                .order_by(User.login))


def set_screening_panel(year: int, logins: list[str], *, actor: User | None = None) -> list[User]:
    """Make the screening panel exactly these judges; the auto-assignment then draws only from
    them. Assignments already made stay (take a judge off a case on the assignments page)."""
    stage = get_stage(year, "screening")
    judges, problems = [], []
    for login in dict.fromkeys(logins):
        user = User.get_or_none(User.login == login)
        if not is_active_judge(user):
            problems.append(Problem(f"「{login}」不是啟用中的評審委員", "judges"))
        else:
            judges.append(user)
    if problems:
        raise ValidationError(problems)
    with database.atomic():
        for_update(Stage.select().where(Stage.id == stage.id)).get()  # one panel edit at a time
        before = [u.login for u in screening_panel(year)]
        PanelMember.delete().where((PanelMember.stage == stage)
                                   & PanelMember.region.is_null()).execute()
        for judge in judges:
            PanelMember.create(stage=stage, judge=judge, region=None)
        write_audit(actor, "set_screening_panel", "stage", stage.id, before={"panel": before},
                    after={"panel": sorted(j.login for j in judges)})
    return sorted(judges, key=lambda j: j.login)
