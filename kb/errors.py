"""Errors a person can cause, each with a message in zh-TW."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: ``field`` names the input (None for the whole record)."""

    message: str
    field: str | None = None


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
