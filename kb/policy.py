"""Who may do what: the roles and every permission rule, in one place.

Services (``kb/``), pages (``web/``) and templates ask these rules instead of comparing role
strings. Two kinds of caller meet the rules with ``None``:

- an *actor* changing data is ``None`` when it is the ``forum`` command (run on the server by
  someone who already holds the database), so the rules named ``acts_…``/``require_…`` and the
  write rules let ``None`` through;
- a *viewer* reading is ``None`` for a visitor who has not signed in, so the read rules
  (``can_view_case``, ``can_see_contacts``, …) give ``None`` only what is public.

The role stored on an account is the enum's value (``"staff"``, …), unchanged.
"""
from __future__ import annotations

from kb.errors import PermissionDenied
from kb.models import Assignment
from kb.rocdate import roc_year
from scoring.labelled import LabelledEnum
from scoring.rules import Outcome


class Role(LabelledEnum):
    """An account's role; the value is what the database stores."""

    STAFF = ("staff", "主辦機關承辦人")
    JUDGE = ("judge", "評審委員")
    COUNTY = ("county", "縣市承辦人")
    RESEARCHER = ("researcher", "研究人員")


ROLE_LABELS = Role.labels()
"""Every stored role value and its zh-TW name."""


# --- who someone is --------------------------------------------------------------------------

def is_staff(user) -> bool:
    """A signed-in staff member (主辦機關承辦人)."""
    return user is not None and user.role == Role.STAFF


def is_judge(user) -> bool:
    """A judge's account (active or not)."""
    return user is not None and user.role == Role.JUDGE


def is_active_judge(user) -> bool:
    """A judge whose account is active: the only ones who may be assigned or put on a panel."""
    return is_judge(user) and user.active


def is_county_contact(user, county_id: int | None = None) -> bool:
    """A county contact (縣市承辦人); with ``county_id``, one serving that county."""
    return (user is not None and user.role == Role.COUNTY
            and (county_id is None or user.county_id == county_id))


def acts_as_staff(actor) -> bool:
    """Staff, or the ``forum`` command (``None``): the ones who may run the year."""
    return actor is None or is_staff(actor)


def require_staff(actor, what: str) -> None:
    """Refuse anyone but staff (and the command line) ``what``, e.g. 「公布結果」."""
    if not acts_as_staff(actor):
        raise PermissionDenied(f"只有主辦機關可以{what}")


def can_act_for_county(actor, county_id: int) -> bool:
    """Staff (or the command line), or a contact of that county: nominations, participants,
    adoption answers."""
    return acts_as_staff(actor) or is_county_contact(actor, county_id)


def can_act_for_judge(actor, judge) -> bool:
    """Staff (or the command line), or the judge themself: scores and declared conflicts."""
    return acts_as_staff(actor) or actor.id == judge.id


# --- cases -----------------------------------------------------------------------------------

def can_view_case(viewer, case) -> bool:
    """Staff see every case; a county contact their county's; a judge the cases assigned to
    them; everyone else published ones."""
    if case.published or is_staff(viewer) or is_county_contact(viewer, case.county_id):
        return True
    if is_judge(viewer):
        return Assignment.select().where((Assignment.judge == viewer)
                                         & (Assignment.case == case)).exists()
    return False


def can_see_contacts(viewer, case) -> bool:
    """People's phone numbers and e-mail addresses on a case: staff and the case's county."""
    return is_staff(viewer) or is_county_contact(viewer, case.county_id)


def can_send_in_cases(user) -> bool:
    """The intake pages (送件, case-list import): staff and county contacts."""
    return is_staff(user) or is_county_contact(user)


def check_may_submit(actor, edition, county) -> None:
    """Refuse a new case for ``county`` in ``edition`` unless staff, or that county's contact
    while intake is open; the message says which."""
    if acts_as_staff(actor):
        return
    if not is_county_contact(actor):
        raise PermissionDenied("只有縣市承辦人與主辦機關可以送件")
    if actor.county_id != county.id:
        raise PermissionDenied(f"您只能為{actor.county.name}送件")
    if not edition.intake_open:
        raise PermissionDenied(f"{roc_year(edition.year)}的收件已截止")


def check_may_import(actor, edition) -> None:
    """Refuse a case-list import unless staff, or a county contact while intake is open."""
    if acts_as_staff(actor):
        return
    if not is_county_contact(actor):
        raise PermissionDenied("只有縣市承辦人與主辦機關可以匯入案例")
    if not edition.intake_open:
        raise PermissionDenied(f"{roc_year(edition.year)}的收件已截止")


def can_edit_case(actor, case) -> bool:
    """Staff edit any case; a county contact their county's, while that year's intake is open."""
    return acts_as_staff(actor) or (is_county_contact(actor, case.county_id)
                                    and case.edition.intake_open)


def can_edit_refined(actor, case) -> bool:
    """A published award winner's refined write-up and media: staff, or the case's county."""
    if case.status not in Outcome.award_statuses() or not case.published:
        return False
    return can_act_for_county(actor, case.county_id)


# --- judging ---------------------------------------------------------------------------------

def can_score(user, assignment) -> bool:
    """Whether ``user`` may see and enter the scores of ``assignment``: its own judge, or staff
    typing them in (and the command line); anyone else learns nothing of it. Whether the stage
    is open is checked by ``record_scores``."""
    return acts_as_staff(user) or assignment.judge_id == user.id


# --- the year --------------------------------------------------------------------------------

def can_see_selection(user) -> bool:
    """The nominations and selection page: staff, and county contacts for their county."""
    return is_staff(user) or is_county_contact(user)


def can_see_participants(viewer) -> bool:
    """The participant lists: staff every county's, a county contact their own."""
    return acts_as_staff(viewer) or is_county_contact(viewer)


TEMPLATE_RULES = {rule.__name__: rule for rule in (
    is_staff, is_judge, is_county_contact, can_view_case, can_see_contacts, can_edit_case,
    can_edit_refined, can_score, can_see_selection, can_send_in_cases)}
"""The rules templates may call (``{% if is_staff(actor) %}``)."""
