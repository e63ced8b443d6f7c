"""One page of a long staff list: which rows the page asked for (``?page=``) shows, and the
count and page links the list shows about them."""
from __future__ import annotations

from typing import NamedTuple, Sequence, TypeVar

from web.views import query_int

Row = TypeVar("Row")


class Paging(NamedTuple):
    """Page ``page`` of ``pages`` of a list of ``total`` rows, ``size`` a page."""

    page: int
    pages: int
    total: int
    size: int

    @property
    def first(self) -> int:
        """The number (from 1) of the page's first row; 0 for an empty list."""
        return (self.page - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        """The number of the page's last row."""
        return min(self.page * self.size, self.total)

    def rows(self, items: Sequence[Row]) -> Sequence[Row]:
        """This page's rows of the whole list ``items``."""
        return items[(self.page - 1) * self.size:self.page * self.size]


def requested_page(total: int, size: int) -> Paging:
    """The page of a ``total``-row list the request asks for: ``?page=`` (1 when absent or not a
    number; the last page when past the end, so a list that shrank still shows rows)."""
    pages = max((total + size - 1) // size, 1)
    return Paging(min(max(query_int("page") or 1, 1), pages), pages, total, size)
