"""Bulk import of judges and county contacts from spreadsheet rows: all or nothing, every
problem located by sheet, row and column; importing again updates instead of duplicating."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from kb.assignments import set_judge_profile
from kb.conflicts import judge_profile
from kb.db import database
from kb.errors import Problem, ValidationError
from kb.models import Category, County, User
from kb.policy import Role
from kb.text import normalize_name, split_list
from kb.users import ROLES, add_user, check_account, check_login, find_county_by_name, update_user

ACCOUNT_FIELDS = {
    "name": "姓名", "login": "帳號", "role": "角色", "email": "電子郵件", "county": "服務縣市",
    "title": "職稱", "affiliation": "服務單位", "fields": "專長領域", "counties": "利益關係縣市",
}
REQUIRED_ACCOUNT_FIELDS = ("name", "login", "role")
IMPORT_ROLES = (Role.JUDGE.value, Role.COUNTY.value)
JUDGE_ONLY_FIELDS = ("title", "affiliation", "fields", "counties")
MAX_ACCOUNT_ROWS = 2000


@dataclass
class AccountRow:
    """One spreadsheet row of the account list: where it stands and its cells as text."""

    sheet: str
    row: int
    values: dict[str, str]
    columns: dict[str, str] = field(default_factory=dict)  # field -> column letter

    def locate(self, problem: Problem) -> str:
        """The message prefixed with sheet, row and column: 「帳號」第3列「角色」（C欄）：…"""
        where = f"「{self.sheet}」第{self.row}列"
        if problem.field in ACCOUNT_FIELDS:
            column = self.columns.get(problem.field)
            where += f"「{ACCOUNT_FIELDS[problem.field]}」" + (f"（{column}欄）" if column else "")
        return f"{where}：{problem.message}"


@dataclass
class AccountChoices:
    """What the template's drop-down lists offer."""

    roles: list[str]
    counties: list[str]
    categories: list[str]


@dataclass
class AccountImportReport:
    """What an import did (or would do): new accounts with their one-time passwords."""

    created: list[dict] = field(default_factory=list)  # login, name, role, password
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def account_choices() -> AccountChoices:
    """The roles, counties and category names an account list may use."""
    return AccountChoices(
        roles=[ROLES[role] for role in IMPORT_ROLES],
        counties=[c.name for c in County.select().order_by(County.id)],
        categories=sorted({c.name for c in Category.select(Category.name)}))


def _role(typed: str) -> str | None:
    wanted = normalize_name(typed).lower()
    for key in IMPORT_ROLES:
        if wanted in (key, normalize_name(ROLES[key])):
            return key
    return None


def _profile(user: User) -> dict:
    profile = judge_profile(user)
    return {"title": profile.title, "affiliation": profile.affiliation,
            "fields": list(profile.fields), "counties": list(profile.counties)}


def _check_row(row: AccountRow, categories: set[str], seen: dict[str, int]) -> tuple[
        list[Problem], dict]:
    values = row.values
    problems = [Problem("必須填寫", name) for name in REQUIRED_ACCOUNT_FIELDS
                if not values.get(name, "").strip()]
    login = values.get("login", "").strip()
    role = _role(values.get("role", ""))
    if values.get("role", "").strip() and role is None:
        problems.append(Problem(f"「{values['role']}」不是可匯入的角色，可用："
                                f"{'、'.join(ROLES[r] for r in IMPORT_ROLES)}", "role"))
    if login in seen:
        problems.append(Problem(f"帳號「{login}」與第{seen[login]}列重複", "login"))
    seen.setdefault(login, row.row)
    existing = User.get_or_none(User.login == login) if login else None
    if existing is None and login:
        problems.extend(check_login(login))
    elif existing is not None and role is not None and existing.role != role:
        problems.append(Problem(f"帳號「{login}」已存在且角色為「{ROLES[existing.role]}」，"
                                "不能以匯入變更角色", "role"))
    if role is not None:
        account_problems, _ = check_account(role=role, name=values.get("name", ""),
                                            county=values.get("county"),
                                            email=values.get("email", ""))
        problems.extend(p for p in account_problems if p.field != "name")
    fields = split_list(values.get("fields"))
    counties = []
    for typed in split_list(values.get("counties")):
        try:
            counties.append(find_county_by_name(typed).name)
        except ValidationError:
            problems.append(Problem(f"「{typed}」不是縣市名稱", "counties"))
    problems.extend(Problem(f"「{name}」不是任何年度的徵求類別", "fields")
                    for name in fields if categories and name not in categories)
    if role == Role.COUNTY:
        problems.extend(Problem("只適用於評審委員，縣市承辦人請留空", name)
                        for name in JUDGE_ONLY_FIELDS if values.get(name, "").strip())
    plan = {"login": login, "role": role, "name": values.get("name", "").strip(),
            "email": values.get("email", "").strip(), "county": values.get("county", "").strip(),
            "profile": {"title": values.get("title", "").strip(),
                        "affiliation": values.get("affiliation", "").strip(),
                        "fields": fields, "counties": counties},
            "existing": existing}
    return problems, plan


def import_accounts(rows: list[AccountRow], *, actor: User | None = None,
                    dry_run: bool = False) -> AccountImportReport:
    """Create or update the judges and county contacts of an account list, all or nothing.

    A row matches an account by its login; a new account gets a temporary password (in the
    report, shown once) that must be changed at the first sign-in.
    """
    if len(rows) > MAX_ACCOUNT_ROWS:
        raise ValidationError(f"一次最多匯入 {MAX_ACCOUNT_ROWS} 個帳號，此檔案有 {len(rows)} 列")
    if not rows:
        raise ValidationError("檔案中沒有任何帳號資料列")
    categories = {c.name for c in Category.select(Category.name)}
    seen: dict[str, int] = {}
    messages, plans = [], []
    for row in rows:
        problems, plan = _check_row(row, categories, seen)
        messages.extend(row.locate(problem) for problem in problems)
        plans.append(plan)
    if messages:
        raise ValidationError([Problem(message) for message in messages])
    report = AccountImportReport()
    with database.atomic() as transaction:
        for row, plan in zip(rows, plans):
            _apply(row, plan, report, actor)
        if dry_run:
            transaction.rollback()
            for created in report.created:
                created["password"] = None
    return report


def _apply(row: AccountRow, plan: dict, report: AccountImportReport, actor: User | None) -> None:
    existing = plan["existing"]
    profile = plan["profile"] if plan["role"] == Role.JUDGE else None
    if existing is None:
        try:
            user = add_user(plan["login"], role=plan["role"], name=plan["name"],
                            county=plan["county"] or None, email=plan["email"], actor=actor)
        except ValidationError as error:  # another import created the login since the check
            raise ValidationError([Problem(row.locate(Problem(f"{p.message}，請重新匯入以更新此帳號",
                                                              p.field)))
                                   for p in error.problems]) from None
        if profile:
            set_judge_profile(plan["login"], actor=actor, **profile)
        report.created.append({"login": user.login, "name": user.name, "role": user.role,
                               "password": user.temporary_password})
        return
    before = (existing.name, existing.email, existing.county_id,
              _profile(existing) if profile else None)
    user = update_user(plan["login"], name=plan["name"], role=plan["role"],
                       county=plan["county"] or None, email=plan["email"], actor=actor)
    if profile and profile != before[3]:
        set_judge_profile(plan["login"], actor=actor, **profile)
    after = (user.name, user.email, user.county_id, _profile(user) if profile else None)
    (report.updated if after != before else report.unchanged).append(user.login)
