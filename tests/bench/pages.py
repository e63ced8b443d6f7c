"""Page bench: every page of every role on the demo data, server time and SQL statements.

    python tests/bench/pages.py [--home DIR] [--repeat N] [--no-index] [--json]

Loads the demo into a fresh instance folder (or uses ``--home``, e.g. one made by
``forum init --demo``), builds the search index (unless ``--no-index``), signs in as each demo
role and requests each page ``--repeat`` times in process through Flask's test client, so the
time is the server's alone (no network, no browser). Prints per page p50 and p95 milliseconds and
the number of SQL statements of one request. The baseline beside them is the sign-in page, which
reads nothing: the framework's own floor. Target: every staff page ≤ 20 ms p95. Not a test:
figures vary with the machine.
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

from kb.cases import find_cases  # noqa: E402
from kb.judging import list_assignments  # noqa: E402
from kb.models import Case, County, Edition, User  # noqa: E402
from kb.querylog import counted_queries  # noqa: E402
from kb.search import case_search  # noqa: E402
from kb.speakers import list_speakers  # noqa: E402
from seeds.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from web import create_app  # noqa: E402

TARGET_MS = 20  # p95, every staff page
JUDGED, CURRENT = 103, 104
BASELINE = ("baseline", "/login")


def demo_pages() -> dict[str, list[str]]:
    """Each role's login (None: not signed in) and the pages it reads, on the loaded demo."""
    published = Case.select().join(Edition).where((Edition.year == JUDGED)
                                                  & (Case.status == "benchmark")).first()
    tpe = County.get(County.name == "臺北市")
    own_current = Case.select().join(Edition).where((Edition.year == CURRENT)
                                                    & (Case.county == tpe)).first()
    winners = [c for c in find_cases(staff_scope=True, year=JUDGED) if c.published]
    own_winner = next((c for c in winners if c.county_id == tpe.id), None)
    judge = User.get(User.login == "judge01")
    assignment = list_assignments(JUDGED, "screening", judge=judge)[0]
    speaker = list_speakers()[0].key
    public = ["/", "/cases/", f"/cases/?year={JUDGED}", f"/cases/{published.id}",
              "/search?q=社區", "/search?q=長照&year=103", f"/results/{JUDGED}",
              "/speakers/", f"/speakers/{speaker}"]
    return {
        "staff": public + [
            f"/cases/{own_current.id}", f"/cases/{own_current.id}/edit", "/cases/new",
            f"/cases/import/{CURRENT}", f"/intake/{CURRENT}",
            f"/judging/{JUDGED}/", f"/judging/{JUDGED}/screening/assignments",
            f"/judging/{JUDGED}/onsite/assignments", f"/judging/{CURRENT}/",
            f"/selection/{JUDGED}/", f"/selection/{JUDGED}/stats", f"/selection/{CURRENT}/",
            f"/results/{JUDGED}/writeups", f"/cases/{winners[0].id}/refined",
            "/speakers/merge", f"/programme/{JUDGED}/"],
        "county-tpe": public + [f"/cases/{own_current.id}", f"/cases/{own_current.id}/edit",
                                "/cases/new", f"/intake/{CURRENT}", f"/selection/{JUDGED}/"]
                      + ([f"/cases/{own_winner.id}/refined"] if own_winner else []),
        "judge01": public + ["/judging/", "/judging/profile",
                             f"/judging/assignments/{assignment.id}"],
        "researcher": public,
        None: public,
    }


def measure(client, url: str, repeat: int) -> dict:
    """p50/p95 milliseconds of ``repeat`` requests (after one warm-up) and one request's SQL."""
    with counted_queries() as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"url": url, "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 2),
            "queries": len(queries)}


def signed_in(app, login: str | None):
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
        pages = demo_pages()
    rows = [{"role": BASELINE[0], **measure(app.test_client(), BASELINE[1], args.repeat)}]
    for login, urls in pages.items():
        client = signed_in(app, login)
        rows += [{"role": login or "anonymous", **measure(client, url, args.repeat)}
                 for url in urls]
    staff = [row for row in rows if row["role"] == "staff"]
    summary = {"pages": len(rows) - 1, "staff_pages": len(staff),
               "staff_worst_p95_ms": max(row["p95_ms"] for row in staff),
               "staff_within_target": all(row["p95_ms"] <= TARGET_MS for row in staff),
               "target_ms": TARGET_MS, "repeat": args.repeat, "index": not args.no_index}
    if args.json:
        print(json.dumps({"summary": summary, "pages": rows}, ensure_ascii=False))
        return
    print(f"{'role':<11} {'p50 ms':>7} {'p95 ms':>7} {'SQL':>4}  page")
    for row in rows:
        print(f"{row['role']:<11} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
              f"{row['queries']:>4}  {row['url']}")
    print(f"staff pages: worst p95 {summary['staff_worst_p95_ms']} ms (target ≤ {TARGET_MS} ms)")


if __name__ == "__main__":
    main()
