"""Page bench: every page of every role (web/page_list.py) on the demo data, server time and
SQL statements.

    python tests/bench/pages.py [--home DIR] [--repeat N] [--no-index] [--json]

Loads the demo into a fresh instance folder (or uses ``--home``, e.g. one made by
``forum init --demo``), builds the search index (unless ``--no-index``), signs in as each role's
demo login and requests each of its pages (the public ones and its own, as the browser test
opens them) ``--repeat`` times in process through Flask's test client, so the time is the
server's alone (no network, no browser). Prints per page p50 and p95 milliseconds, the median
CPU milliseconds of a request (the figure to compare on a loaded machine) and the number of SQL
statements of one request, worst p95 first. The baseline beside them is the sign-in page,
which reads nothing: the framework's own floor. Target: every staff page ≤ 20 ms p95. Not a
test: figures vary with the machine.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flask import url_for  # noqa: E402

from kb.querylog import counted_queries  # noqa: E402
from kb.search import case_search  # noqa: E402
from seeds.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from web import create_app  # noqa: E402
from web.page_list import PAGES, PUBLIC, demo_samples, filled, role_login  # noqa: E402
from web.workers import settle_heap  # noqa: E402
from scratch import run_in_scratch  # noqa: E402

TARGET_MS = 20  # p95, every staff page
BASELINE = ("baseline", "/login")


def role_pages(app, samples: dict) -> dict[str, list[str]]:
    """Each role's pages as URLs: the public pages, then its own (each once)."""
    pages = {}
    with app.test_request_context():
        for role, own in PAGES.items():
            urls = [url_for(endpoint, **filled(args, samples))
                    for endpoint, args in (own if role == "public" else PUBLIC + own)]
            pages[role] = list(dict.fromkeys(urls))
    return pages


def measure(client, url: str, repeat: int) -> dict:
    """p50/p95 milliseconds of ``repeat`` requests (after one warm-up), their median CPU
    milliseconds (what a loaded machine distorts least) and one request's SQL.
    Each page starts with fresh per-address request limits, so no page is answered 429."""
    client.application.extensions.pop("rate_limits", None)
    with counted_queries() as queries:
        response = client.get(url)
    if response.status_code >= 400:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    return {"url": url, "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 2),
            "cpu_p50_ms": round(statistics.median(cpu), 2), "queries": len(queries)}


def signed_in(app, login: str | None):
    """A test client signed in as ``login`` (None: the public)."""
    client = app.test_client()
    if login is not None:
        response = client.post("/login", data={"login": login, "password": DEMO_PASSWORD})
        if response.status_code != 302:
            raise SystemExit(f"cannot sign in as {login}")
    return client


def main() -> None:
    """Build (or open) the demo instance and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="an instance folder with the demo loaded")
    parser.add_argument("--repeat", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--no-index", action="store_true", help="skip building the search index")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="pages-bench-"))
    app = create_app({"WTF_CSRF_ENABLED": False, "TESTING": True}, home=home)
    with app.app_context():
        load_demo()
        if not args.no_index and case_search().status()["missing"]:
            case_search().rebuild()
        case_search().warm()
        samples = demo_samples()
    settle_heap()  # as `forum serve` does before it serves
    rows = [{"role": BASELINE[0], **measure(app.test_client(), BASELINE[1], args.repeat)}]
    for role, urls in role_pages(app, samples).items():
        client = signed_in(app, role_login(role, samples))
        rows += [{"role": role, **measure(client, url, args.repeat)} for url in urls]
    rows.sort(key=lambda row: row["p95_ms"], reverse=True)
    staff = [row for row in rows if row["role"] == "staff"]
    summary = {"pages": len(rows) - 1, "staff_pages": len(staff),
               "staff_worst_p95_ms": max(row["p95_ms"] for row in staff),
               "staff_over_target": [row["url"] for row in staff if row["p95_ms"] > TARGET_MS],
               "target_ms": TARGET_MS, "repeat": args.repeat, "index": not args.no_index}
    if args.json:
        print(json.dumps({"summary": summary, "pages": rows}, ensure_ascii=False))
        return
    print(f"{'role':<10} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms':>7} {'SQL':>4}  page")
    for row in rows:
        print(f"{row['role']:<10} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
              f"{row['cpu_p50_ms']:>7.1f} {row['queries']:>4}  {row['url']}")
    print(f"staff pages: worst p95 {summary['staff_worst_p95_ms']} ms (target ≤ {TARGET_MS} ms), "
          f"{len(summary['staff_over_target'])} over")


if __name__ == "__main__":
    run_in_scratch(main)
