"""Benches leave nothing behind: their temporary folders live in one that is removed at the end."""

from __future__ import annotations

import tempfile
from collections.abc import Callable


def run_in_scratch(main: Callable[[], None]) -> None:
    """Run ``main`` with every folder it makes through :mod:`tempfile` (instance folders,
    databases, workbooks) inside one scratch folder, removed when ``main`` ends or fails."""
    with tempfile.TemporaryDirectory(prefix="forum-bench-", ignore_cleanup_errors=True) as scratch:
        tempfile.tempdir = scratch
        try:
            main()
        finally:
            tempfile.tempdir = None
