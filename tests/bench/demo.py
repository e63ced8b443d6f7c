"""Demo start-up bench: `forum serve --demo` on a fresh folder, the demo load by step, and
publication and auto-assignment on a demo year.

    python tests/bench/demo.py [--json] [--skip-serve]

1. Starts ``forum --home <fresh folder> serve --demo`` and times the first page (GET /login
   answering 200) and, on a fresh folder, until pages no longer say 示範資料準備中 (the
   write-ups, slides, letters, forum days and adoption answers, written once the server
   listens), beside a second start on the same, already loaded folder (the floor: the process
   start and the app alone).
2. Loads the demo into another fresh folder in process (all of it, as `forum init --demo`),
   timing each step in CPU seconds (composing a year's text where it is not composed in the
   forked process, the accounts, the case list import, auto-assignment, score entry,
   nomination, on-site panels, publication, the registry, venues, write-ups, slides and
   letters, forum days, adoptions; "other" is the rest), and the CPU seconds of the forked
   process that composes the years' text meanwhile.
3. On that demo: publishes 民國103年 again, and re-runs its screening auto-assignment on the
   cleared stage (rolled back).

Targets: first page ≤ 5 s; publication and auto-assignment ≤ 1 s. Not a test: figures vary
with the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import seeds.demo as demo  # noqa: E402
from kb.assignments import assign_screening
from kb.db import database  # noqa: E402
from kb.instance import open_instance  # noqa: E402
from kb.models import Assignment, Score  # noqa: E402
from kb.selection import publish_results  # noqa: E402
from kb.stages import set_stage_state
from scratch import run_in_scratch  # noqa: E402

FIRST_PAGE_TARGET_S = 5
SERVICE_TARGET_S = 1
YEAR = 103
STEPS = ("_compose_inputs", "hash_password", "_account", "import_cases", "assign_screening",
         "record_scores", "confirm_nominations", "assign_onsite",
         "publish_results", "_recurring_speakers", "set_demo_venues", "write_demo_writeups",
         "write_demo_media_and_letters", "write_demo_forum_days", "write_demo_adoptions")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds a running process has used so far (Linux's /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_page_seconds(home: Path, *, timeout: float = 300
                       ) -> tuple[float, float | None, float | None]:
    """Seconds from starting `forum serve --demo` to the first 200 answer of GET /login, the
    CPU seconds the server process had used by then (the wall time stretches when other work
    shares the machine; the CPU time much less), and the seconds until the page no longer says
    示範資料準備中 (None when it never did)."""
    port = _free_port()
    command = [sys.executable, "-c", "from web.cli import main; main()", "--home", str(home),
               "serve", "--demo", "--port", str(port)]
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as answer:
                    if answer.status == 200:
                        first, cpu = time.perf_counter() - started, _cpu_seconds(server.pid)
                        return first, cpu, _prepared_seconds(port, started, timeout)
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"no first page within {timeout} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _prepared_seconds(port: int, started: float, timeout: float) -> float | None:
    """Seconds from ``started`` until GET /login no longer says 示範資料準備中; None if the
    first answer did not say it."""
    said = False
    while time.perf_counter() - started < timeout:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as answer:
            if "示範資料準備中" not in answer.read().decode("utf-8"):
                return time.perf_counter() - started if said else None
        said = True
        time.sleep(0.05)
    raise SystemExit(f"still preparing after {timeout} s")


def _children_cpu() -> float:
    """CPU seconds of this process's finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_demo_load(home: Path) -> dict[str, float]:
    """Load the demo into ``home``, timing each step in CPU seconds of its thread, summed over
    the years (CPU time, as other work on the machine stretches the wall time), and the total
    in both; beside them the CPU seconds of the process that composes the years' text
    meanwhile (``_compose_inputs`` is then 0: nothing is composed here)."""
    spent: dict[str, float] = defaultdict(float)
    for name in STEPS:
        original = getattr(demo, name)

        def timed(*args, _original=original, _name=name, **kwargs):
            started = time.thread_time()  # the step's own thread: the password hashes in another
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] += time.thread_time() - started
        setattr(demo, name, timed)
    open_instance(home)
    children_cpu = _children_cpu()
    started, started_cpu = time.perf_counter(), time.process_time()
    demo.load_demo()
    spent["total_cpu"] = time.process_time() - started_cpu
    spent["total_wall"] = time.perf_counter() - started
    spent["composing_other_process_cpu"] = _children_cpu() - children_cpu
    spent["other"] = spent["total_cpu"] - sum(spent[name] for name in STEPS)  # hashing overlaps
    return {name: round(seconds, 2) for name, seconds in spent.items()}


def service_seconds() -> dict[str, float]:
    """Publication of a demo year again, and its screening auto-assignment from scratch (on the
    reopened stage, rolled back)."""
    started = time.perf_counter()
    publish_results(YEAR)
    publish = time.perf_counter() - started
    with database.atomic() as transaction:
        stage = set_stage_state(YEAR, "screening", "reopen", reason="效能測試")
        assigned = Assignment.select(Assignment.id).where(Assignment.stage == stage)
        Score.delete().where(Score.assignment.in_(assigned)).execute()
        Assignment.delete().where(Assignment.stage == stage).execute()
        started = time.perf_counter()
        assign_screening(YEAR)
        assign = time.perf_counter() - started
        transaction.rollback()
    return {"publish": round(publish, 3), "auto_assign": round(assign, 3)}


def main() -> None:
    """Run the three parts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--skip-serve", action="store_true", help="skip the `forum serve` part")
    args = parser.parse_args()
    figures: dict[str, object] = {"targets": {"first_page_s": FIRST_PAGE_TARGET_S,
                                              "services_s": SERVICE_TARGET_S}}
    if not args.skip_serve:
        home = Path(tempfile.mkdtemp(prefix="demo-serve-"))
        for name in ("fresh", "loaded"):
            wall, cpu, prepared = first_page_seconds(home)
            figures[f"first_page_{name}_s"] = round(wall, 2)
            figures[f"first_page_{name}_cpu_s"] = cpu and round(cpu, 2)
            if name == "fresh":
                figures["objects_prepared_s"] = prepared and round(prepared, 2)
    figures["demo_load_s"] = timed_demo_load(Path(tempfile.mkdtemp(prefix="demo-load-")))
    figures["services_s"] = service_seconds()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    run_in_scratch(main)
