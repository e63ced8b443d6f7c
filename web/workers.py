"""`forum serve --processes N`: one listening socket, served by N processes.

The first process binds the socket and serves on it as before; the others are started as fresh
`forum serve` processes that receive the socket (``--listen-fd``) and serve on it too, each with
its own app, threads and database connections. Each new connection goes to the process holding
the fewest (:func:`accept_in_turn`): a browser keeps its connection for every later request. One
process per core gets past Python's one-core-per-process limit (the GIL): on SQLite their writers
take turns through ``kb.db.WriterTurns``; on PostgreSQL through its own locks.
"""
from __future__ import annotations

import gc
import mmap
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

MAX_DEFAULT_PROCESSES = 4  # each process holds its own search index and jieba (~150 MB)
# The longest a process leaves a new connection waiting for a process holding fewer to take it
# (one stopped or hung takes none), and how often it looks again meanwhile.
DEFER_SECONDS = 0.25
DEFER_STEP_SECONDS = 0.002


# Request threads of each serving process. The GIL lets one run Python at a time, and waitress's
# own thread does the sockets, so more threads only wait for one another: a save's writer, which
# lets the GIL go at every SQLite call, then waits for it while every other writer of the file
# waits for it. With 20 judges saving back to back on 2 cores, 8 threads gave 267-285 saves/s
# (p95 116-121 ms), 4 gave 293-313 (94-99 ms), 3 gave 313-340 (87-90 ms), 2 gave 331-356; 3
# leaves two threads free while one builds a long export.
DEFAULT_THREADS = 3


def settle_heap() -> None:
    """Put what a server has loaded before its first request (modules, the search snapshot,
    the demo) out of the cyclic collector's way: its full collections then scan only what
    requests create. Over the whole start-up heap one took about 140 ms, once every twenty or so
    heavy pages, and was most of those pages' p95. Nothing is collected first: that pass is as
    long (a tenth of a second before the first page) and finds only a few dozen objects."""
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


class ConnectionCounts:
    """How many connections each process serving one socket holds, for :func:`accept_in_turn`: a
    slot (process id, count) per process in a small file all of them map, made by the first
    (slot 0) and handed to the others open (``--counts-fd``, with their ``--slot``)."""

    def __init__(self, fd: int, slot: int):
        self._map = mmap.mmap(fd, 0)
        self._slots = memoryview(self._map).cast("q")  # pid, count, pid, count, ...
        self.slot = slot
        self._slots[2 * slot] = os.getpid()

    @classmethod
    def create(cls, processes: int) -> "ConnectionCounts":
        """The counts of ``processes`` processes, this one in slot 0 (``file``: to hand on)."""
        file = tempfile.TemporaryFile()
        file.truncate(16 * processes)
        counts = cls(file.fileno(), 0)
        counts.file = file  # kept open for the processes started later
        return counts

    def register(self, slot: int, pid: int) -> None:
        """Give ``slot`` to the process ``pid``, holding no connection yet: connections are left
        to it (for a while each) from the moment it starts, not only once it serves."""
        self._slots[2 * slot + 1] = 0
        self._slots[2 * slot] = pid

    def publish(self, count: int) -> None:
        """Tell the other processes how many connections this one holds."""
        self._slots[2 * self.slot + 1] = count

    def fewer_elsewhere(self, count: int) -> bool:
        """Whether another running process holds fewer than ``count`` connections."""
        slots = self._slots
        for other in range(len(slots) // 2):
            pid = slots[2 * other]
            if other != self.slot and pid and slots[2 * other + 1] < count and _running(pid):
                return True
        return False


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def accept_in_turn(server, counts: ConnectionCounts) -> None:
    """Take new connections of a waitress ``server`` in a thread of its own that leaves each to a
    process holding fewer (``counts``), instead of in waitress's loop.

    Every process's loop wakes when a connection arrives and the first to accept() takes it; a
    browser keeps its connection for every later request, and at the start of the judging bench
    one process often took all twenty: half the cores served, half the saves a second (issue 15).
    A process holding more connections than another leaves a new one to it for up to
    :data:`DEFER_SECONDS`, then takes it itself (the other may be stopped or hung); the
    connection then goes to waitress's loop as its own accept would have given it."""
    server.accepting = False  # waitress's loop no longer watches the listening socket
    threading.Thread(target=_accept_connections, args=(server, counts), name="accept",
                     daemon=True).start()


def _accept_connections(server, counts: ConnectionCounts) -> None:
    listener = server.socket
    accepted, handed = 0, [0]  # each counted by one thread only
    deferred_since = None

    def hand(conn, addr):  # in waitress's loop
        handed[0] += 1
        server.channel_class(server, conn, server.fix_addr(addr), server.adj, map=server._map)

    while True:
        held = len(server.active_channels) + accepted - handed[0]
        full = len(server._map) >= server.adj.connection_limit  # waitress's own limit
        counts.publish(sys.maxsize if full else held)
        waiting = DEFER_STEP_SECONDS if deferred_since is not None else 1.0
        try:
            ready = select.select([listener], [], [], waiting)[0]
        except (OSError, ValueError):
            return  # the server closed
        if not ready or full:
            deferred_since = None
            if full:
                time.sleep(0.1)
            continue
        now = time.monotonic()
        if counts.fewer_elsewhere(held) and (deferred_since is None
                                             or now - deferred_since < DEFER_SECONDS):
            deferred_since = deferred_since or now
            time.sleep(DEFER_STEP_SECONDS)
            continue
        deferred_since = None
        try:
            conn, addr = listener.accept()
            server.set_socket_options(conn)
        except BlockingIOError:
            continue  # another process took it
        except OSError:
            continue  # e.g. a client that gave up before it was accepted
        accepted += 1
        counts.publish(held + 1)
        server.trigger.pull_trigger(lambda conn=conn, addr=addr: hand(conn, addr))


def start_workers(listener: socket.socket, count: int, arguments: list[str],
                  counts: ConnectionCounts) -> list[subprocess.Popen]:
    """Start ``count`` `forum` processes serving on ``listener`` (``arguments``: the command line
    after ``forum``, e.g. ``["--home", H, "serve", "--threads", "8"]``), in slots 1… of
    ``counts``."""
    fd, shared = listener.fileno(), counts.file.fileno()
    workers = []
    for slot in range(1, count + 1):
        workers.append(subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()",
                                         *arguments, "--listen-fd", str(fd), "--counts-fd",
                                         str(shared), "--slot", str(slot)], pass_fds=(fd, shared)))
        counts.register(slot, workers[-1].pid)
    return workers


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
