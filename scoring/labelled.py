"""Enums whose members carry the name people read, for the rules said once: roles, outcomes."""
from __future__ import annotations

from enum import Enum


class LabelledEnum(str, Enum):
    """A string enum whose members are written ``NAME = ("stored value", "zh-TW label")``: the
    member equals its stored value (``Role.STAFF == "staff"``) and ``member.label`` is its name."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:
        return self.value  # as stored, also in f-strings and templates

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Every stored value and its label, in order."""
        return {member.value: member.label for member in cls}
