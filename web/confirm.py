"""Confirmation pages for irreversible or far-reaching staff actions (截止收件, 關閉評分, 公布):
a GET page says what the action will do and how (or whether) it can be undone; its form posts
with ``confirmed=1``. A POST without it is sent to the page instead of acting."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template, request


@dataclass
class Confirmation:
    """What a confirmation page shows: the consequences (``lines``), an optional table of who
    or what is affected, an optional reason field, how to undo, and where the form posts."""

    title: str
    action: str  # the URL the form posts to
    button: str
    cancel: str  # the URL of the page the action was started from
    lines: list[str] = field(default_factory=list)
    table_caption: str = ""
    table_headers: list[str] = field(default_factory=list)
    table_rows: list[list] = field(default_factory=list)
    undo: str = ""
    reason_label: str = ""  # empty: no reason field
    reason_required: bool = False
    hidden: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def confirmed() -> bool:
    """Whether the posted form came from a confirmation page."""
    return request.form.get("confirmed") == "1"


def confirmation_page(confirmation: Confirmation, *, status: int = 200):
    """Render a confirmation page (with a refused attempt's ``errors``, status 400)."""
    return render_template("confirm.html", c=confirmation,
                           reason=request.form.get("reason", "")), status
