"""Errors a person can cause, each with a message in zh-TW."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: ``field`` names the input (None for the whole record)."""

    message: str
    field: str | None = None


ECHOED_CHARACTERS = 40  # of a typed value repeated in a message


def echoed(typed) -> str:
    """A typed value as a message repeats it: trimmed, and cut to :data:`ECHOED_CHARACTERS`
    with "…", so a message stays one readable line whatever was typed."""
    text = str(typed).strip()
    return text if len(text) <= ECHOED_CHARACTERS else text[:ECHOED_CHARACTERS] + "…"


class ForumError(Exception):
    """Base of the errors shown to a person as they are."""

    hint: str = ""  # what an operator can do about it at the command line (never on a web page)


class NotFound(ForumError):
    """A record that does not exist (or that the person may not know exists)."""


class PermissionDenied(ForumError):
    """An operation the acting user may not perform."""


class ValidationError(ForumError):
    """An input with one or more problems; nothing was written."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = list(problems)
        super().__init__("\n".join(p.message for p in self.problems))


class TooManyAttempts(ForumError):
    """Too many failed sign-ins for one account or one address; try again later."""


def rules_checked(service):
    """Decorate a ``kb`` service that applies the pure rules of ``scoring/``: their ValueError
    (a setting or a score the rules refuse, with a zh-TW message) leaves ``kb`` as a
    :class:`ValidationError`, so the web and the command line show it as any other."""
    @wraps(service)
    def checked(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except ValueError as error:
            raise ValidationError(str(error)) from error
    return checked
