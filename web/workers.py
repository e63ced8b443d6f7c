"""`forum serve --processes N`: one listening socket, served by N processes.

The first process binds the socket and serves on it as before; the others are started as fresh
`forum serve` processes that receive the socket (``--listen-fd``) and serve on it too, each with
its own app, threads and database connections. The kernel hands each new connection to whichever
process accepts it first, so a busy process leaves it to an idle one. One process per core gets
past Python's one-core-per-process limit (the GIL): on SQLite their writers take turns through
``kb.db.WriterTurns``; on PostgreSQL through its own locks.
"""
from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import threading
import time

MAX_DEFAULT_PROCESSES = 4  # each process holds its own search index and jieba (~150 MB)


def settle_heap() -> None:
    """Put what a server has loaded before its first request (modules, the search snapshot,
    the demo) out of the cyclic collector's way: its full collections then scan only what
    requests create. Over the whole start-up heap one took about 140 ms, once every twenty or so
    heavy pages, and was most of those pages' p95."""
    gc.collect()
    gc.freeze()


def default_processes() -> int:
    """One process per core this process may run on, at most :data:`MAX_DEFAULT_PROCESSES`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_PROCESSES))


def listening_socket(server) -> socket.socket | None:
    """The socket a waitress server listens on, when it listens on one (not several addresses)."""
    return getattr(server, "socket", None)


def start_workers(listener: socket.socket, count: int, arguments: list[str]) -> list[subprocess.Popen]:
    """Start ``count`` `forum` processes serving on ``listener`` (``arguments``: the command line
    after ``forum``, e.g. ``["--home", H, "serve", "--threads", "8"]``)."""
    fd = listener.fileno()
    return [subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()",
                              *arguments, "--listen-fd", str(fd)], pass_fds=(fd,))
            for _ in range(count)]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """End the workers (and wait for them), e.g. when the first process stops."""
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def stop_on_terminate() -> None:
    """SIGTERM ends the first process as Ctrl-C does (its ``finally`` stops the workers)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def exit_with_parent(every: float = 1.0) -> None:
    """In a worker: end this process when the process that started it is gone (killed without
    the chance to stop its workers), so no worker is left serving on its own."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
