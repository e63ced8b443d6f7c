"""`forum serve`: what it says as it starts on a fresh folder, and with `--processes N` the
processes serve one listening socket, stopping the first stops them all, and connections opened
at once are shared evenly (README, Deployment)."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")

ROOT = Path(__file__).resolve().parents[1]
WAIT_SECONDS = 90  # a guard for a loaded machine: each wait ends as soon as its condition holds


def forum(home: Path, *args: str, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k != "FORUM_DATABASE_URL"}
    return subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()",
                             "--home", str(home), *args], cwd=ROOT, env=environment,
                            stdout=subprocess.DEVNULL, stderr=stderr)


def wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def answers(port: int) -> bool:
    try:
        with urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
            return page.status == 200
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_fresh_folder_is_told_its_index_is_being_built_with_no_warning(tmp_path):
    home = tmp_path / "home"
    assert forum(home, "init").wait(WAIT_SECONDS) == 0
    port = free_port()
    server = forum(home, "serve", "--port", str(port), "--processes", "1", stderr=subprocess.PIPE)
    try:
        wait_for(lambda: answers(port), "the site does not answer")
    finally:
        server.terminate()
        said = server.communicate(timeout=WAIT_SECONDS)[1].decode()
    assert "搜尋索引建立中（在背景進行，網站照常使用）" in said
    assert "WARNING" not in said and "搜尋索引不存在" not in said, said


@contextmanager
def two_processes(tmp_path):
    """`forum serve --processes 2` on a new home: its port, the first process and the second,
    once the second answers (the first stopped meanwhile, so that only it can); stopped after."""
    home = tmp_path / "home"
    assert forum(home, "init").wait(WAIT_SECONDS) == 0
    port = free_port()
    first = forum(home, "serve", "--port", str(port), "--processes", "2", "--threads", "2")
    try:
        wait_for(lambda: answers(port), "the site does not answer")
        worker, = wait_for(lambda: children(first.pid), "no second process started")
        first.send_signal(signal.SIGSTOP)  # only the second process can answer now
        try:
            assert wait_for(lambda: answers(port), "the second process does not answer")
        finally:
            first.send_signal(signal.SIGCONT)
        yield port, first, worker
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


def test_a_second_process_serves_the_same_port_and_stops_with_the_first(tmp_path):
    with two_processes(tmp_path) as (_, first, worker):
        first.terminate()
        assert first.wait(WAIT_SECONDS) == 0
        assert not Path(f"/proc/{worker}").exists()  # the first waited for it to end


def connections_held(pid: int, port: int) -> int:
    """How many open connections to ``port`` the process ``pid`` holds (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "01" and fields[9] in inodes:
            held += 1
    return held


def test_connections_opened_at_once_are_shared_evenly_by_the_processes(tmp_path):
    # A browser keeps its connection for every later request: twenty judges signing in at once
    # once went all to one process, which then served them on one core.
    browsers = []
    with two_processes(tmp_path) as (port, first, worker):
        try:
            browsers = [http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_SECONDS)
                        for _ in range(20)]
            for browser in browsers:
                browser.connect()
            for browser in browsers:  # every connection answered, so taken by some process
                browser.request("GET", "/login")
                assert browser.getresponse().read()
            held = [connections_held(pid, port) for pid in (first.pid, worker)]
            assert sum(held) == 20 and max(held) - min(held) <= 2, held
        finally:
            for browser in browsers:
                browser.close()


def test_an_app_on_a_home_with_no_index_and_no_build_warns_to_build_one(home, caplog):
    from web import create_app

    create_app({"TESTING": True}, home=home)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "搜尋索引不存在（無索引）：請執行 forum reindex" in warned
