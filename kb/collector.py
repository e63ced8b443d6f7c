"""Holding off Python's cycle collector while bulk work builds many short-lived objects."""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused(pause: bool = True):
    """Hold off Python's cycle collector while a bulk read or write builds its tens of
    thousands of short-lived objects (a score table's import spent 0.9 s of 2 s in one full
    collection over every object of the process), and switch it on again after, whatever
    happens; a pause inside another leaves the switch to the outer one. Usable as a decorator.
    The switch is the process's: a pause in another thread at worst ends this one early."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
