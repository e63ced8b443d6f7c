"""One page's reading: what a page asks for several times (a stage's results, the speaker
registry's presentations) is read and computed once within :func:`one_reading`."""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_reading = threading.local()


@contextmanager
def one_reading() -> Iterator[None]:
    """Within the block (or the function it decorates) each :func:`read_once` is computed once;
    nothing in the block may change what it reads."""
    outer = getattr(_reading, "memo", None)
    if outer is None:
        _reading.memo = {}
    try:
        yield
    finally:
        if outer is None:
            del _reading.memo


def read_once(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or inside :func:`one_reading` the value it gave there for ``key``."""
    memo = getattr(_reading, "memo", None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
