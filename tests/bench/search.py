"""Search benchmark: our search beside a fair scan and SQLite FTS5 (trigram), one corpus.

    python tests/bench/search.py --cases 3000 [--json] [--repeat 3] [--reindex-only]

Builds N demo cases in a temporary instance, rebuilds the index, runs a fixed mix of queries
and prints, side by side: p50/p95 latency with recall and precision against substring truth
(ours with facets, snippets and ranking of the first page; the scan computes each query's
variants once, then scans every case's normalised text; ours timed once the index is loaded and
its files read, as `forum serve` warms it at start); the full reindex time (two workers)
beside jieba alone on one core over the same text with the same dictionary and settings, with
the CPU time of jieba, of the reindex workers and of the parent (snapshot, rest) and the load
average before, after the reindex and after jieba; the index size; and, in a fresh process on
the built home, the time to load the index, the time to the first answer, the memory of a
process that served every query, and what its next query costs extra after another process
edits one case (twice: a sentence added, then taken out again); and the time from starting
`forum serve` (one process) on the home to its first answer of the search page. Both new
processes read compiled bytecode, as an installed product does. ``--reindex-only`` stops after
the reindex and jieba.
Not a test: figures vary with the machine; compare the columns of one run.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kb.cases import search_documents  # noqa: E402
from kb.models import Case  # noqa: E402
from kb.querytext import normalize_text, parse_query, term_variants  # noqa: E402
from kb import search_rebuild  # noqa: E402
from kb.search import SEPARATOR, case_search  # noqa: E402
from kb.search_exact import document_text  # noqa: E402
from kb.segment import segment, tokenizer  # noqa: E402
from seeds.demo import load_cases  # noqa: E402
from kb.instance import open_instance  # noqa: E402

MIXED = ["AI", "5G", "App", "LINE", "QR Code", "ESG", "SDGs", "GIS", "Open Data", "1999專線", "IoT"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(share * (len(ordered) - 1))), len(ordered) - 1)]


def folded_texts(documents):
    return {d.case_id: normalize_text(d.title) + SEPARATOR + SEPARATOR.join(
        normalize_text(t) for _, t in d.fields) for d in documents}


def pick_queries(documents, texts, rng: random.Random) -> list[tuple[str, dict]]:
    """A fixed mix: 1–8 character CJK terms (common and rare), mixed script, several terms,
    OR and exclusions, and filtered queries."""
    def cjk_substring(length):
        while True:
            text = rng.choice(list(texts.values()))
            start = rng.randrange(0, max(len(text) - length, 1))
            term = text[start:start + length]
            if all("\u4e00" <= ch <= "\u9fff" for ch in term) and len(term) == length:
                return term

    candidates = [cjk_substring(length) for length in range(1, 9) for _ in range(12)]
    frequency = {t: sum(t in x for x in texts.values()) for t in candidates}
    by_frequency = sorted(candidates, key=frequency.get)
    queries = [(t, {}) for t in by_frequency[:16] + by_frequency[-16:]]  # rare and common
    queries += [(t, {}) for t in rng.sample(by_frequency[16:-16], 16)]
    queries += [(t, {}) for t in MIXED]
    queries += [(f"{cjk_substring(2)} {cjk_substring(3)}", {}) for _ in range(8)]
    queries += [(f"{cjk_substring(2)} OR {cjk_substring(4)}", {}) for _ in range(4)]
    queries += [(f"{cjk_substring(2)} -{cjk_substring(2)}", {}) for _ in range(4)]
    years = sorted({d.year for d in documents})
    regions = sorted({d.region for d in documents})
    queries += [(cjk_substring(2), {"year": rng.choice(years)}) for _ in range(4)]
    queries += [(cjk_substring(3), {"region": rng.choice(regions)}) for _ in range(4)]
    return queries


class FairScan:
    """Every query answered by scanning every case's normalised text (variants once per query)."""

    def __init__(self, documents, texts):
        self.rows = [(d, texts[d.case_id]) for d in documents]

    def search(self, query: str, filters: dict) -> set[int]:
        parsed = parse_query(query)
        clauses = [[v for t in clause for v in term_variants(t)] for clause in parsed.clauses]
        excluded = [v for t in parsed.excluded for v in term_variants(t)]
        found = set()
        for doc, text in self.rows:
            if filters and any(getattr(doc, k) != v for k, v in filters.items()):
                continue
            if all(any(v in text for v in clause) for clause in clauses) \
                    and not any(v in text for v in excluded):
                found.add(doc.case_id)
        return found


class Fts5Trigram:
    """SQLite FTS5 with the trigram tokenizer over the same normalised text."""

    def __init__(self, documents, texts):
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE t USING fts5(body, year UNINDEXED, region UNINDEXED,"
                        " tokenize='trigram')")
        self.db.executemany("INSERT INTO t(rowid, body, year, region) VALUES (?, ?, ?, ?)",
                            [(d.case_id, texts[d.case_id], d.year, d.region) for d in documents])

    def search(self, query: str, filters: dict) -> set[int]:
        parsed = parse_query(query)
        def phrase(term):
            return '"' + normalize_text(term).replace('"', '""') + '"'
        match = " AND ".join("(" + " OR ".join(phrase(t) for t in clause) + ")"
                             for clause in parsed.clauses)
        for term in parsed.excluded:
            match += f" NOT {phrase(term)}"
        sql, args = "SELECT rowid FROM t WHERE t MATCH ?", [match]
        for key, value in filters.items():
            sql += f" AND {key} = ?"
            args.append(value)
        try:
            return {row[0] for row in self.db.execute(sql, args)}
        except sqlite3.OperationalError:
            return set()


def measure(engine, queries, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        for query, filters in queries:
            started = time.perf_counter()
            engine(query, filters)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def quality(results: list[set[int]], truth: list[set[int]]) -> tuple[float, float]:
    found = sum(len(r & t) for r, t in zip(results, truth))
    relevant = sum(len(t) for t in truth)
    returned = sum(len(r) for r in results)
    return (found / relevant if relevant else 1.0, found / returned if returned else 1.0)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


_FRESH = """
import json, subprocess, sys, time
started = time.perf_counter()
from pathlib import Path
from kb.instance import open_instance
from kb.search import case_search
home, queries = Path(sys.argv[1]), json.loads(sys.stdin.read())
open_instance(home)
opened = time.perf_counter()
case_search().warm()
loaded = time.perf_counter()
case_search().search(queries[0][0], **queries[0][1])
first = time.perf_counter()
for query, filters in queries:
    case_search().search(query, **filters)
status = {line.split(":")[0]: line.split()[1] for line in open("/proc/self/status") if "kB" in line}
rss, peak = int(status["VmRSS"]), int(status["VmHWM"])  # VmHWM: ru_maxrss keeps the parent's across exec
def timed(query, filters):
    began = time.perf_counter()
    case_search().search(query, **filters)
    return (time.perf_counter() - began) * 1000
extra = []
for edit in ("add", "undo"):  # another process edits one case, then puts it back as it was
    usual = sorted(timed(*queries[0]) for _ in range(5))[2]
    subprocess.run([sys.executable, "-c", EDIT, str(home), edit], check=True)
    extra.append(timed(*queries[0]) - usual)
print(json.dumps({"start_to_open_s": round(opened - started, 2), "index_load_s": round(loaded - opened, 2),
                  "start_to_first_answer_s": round(first - started, 2),
                  "rss_mb": round(rss / 1024), "peak_rss_mb": round(peak / 1024),
                  "after_another_process_edit_extra_ms": [round(ms, 1) for ms in extra]}))
"""
# Run in another process by _FRESH: one case's summary gains a sentence ("add") or loses it again.
_EDIT = """
import dataclasses, sys
from pathlib import Path
from kb.instance import open_instance
from kb.cases import case_input_of, get_case, update_case
from kb.models import Case
open_instance(Path(sys.argv[1]))
case = get_case(Case.select(Case.id).order_by(Case.id).scalar(), staff_scope=True)
data = case_input_of(case)
added = "另於社區增設服務據點。"
summary = data.summary + added if sys.argv[2] == "add" else data.summary.removesuffix(added)
update_case(case.id, dataclasses.replace(data, summary=summary))
"""


def _installed_env() -> dict:
    """The environment of a new process as on an installed product: the code importable from
    the checkout, with its compiled bytecode read and written (a machine that sets
    PYTHONDONTWRITEBYTECODE would otherwise compile every changed module at each start)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(ROOT / package) for package in
                    ("kb", "web", "scoring", "exports", "seeds"))], check=True, env=env)
    return env


def fresh_process(home: Path, queries) -> dict:
    """A new process on the built home: load, first answer, memory after every query."""
    result = subprocess.run([sys.executable, "-c", f"EDIT = {_EDIT!r}\n" + _FRESH, str(home)],
                            input=json.dumps(queries),
                            capture_output=True, text=True, check=True, cwd=ROOT,
                            env=_installed_env())
    return json.loads(result.stdout)


def serve_first_search(home: Path, query: str) -> float:
    """Seconds from starting `forum serve` (one process) on the built home to its first answer
    of the search page."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = "/search?" + urllib.parse.urlencode({"q": query})
    env = _installed_env()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "--home", str(home), "serve",
                               "--port", str(port), "--processes", "1"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
                    if answer.status == 200:
                        return round(time.perf_counter() - started, 2)
            except (ConnectionError, urllib.error.URLError):
                if server.poll() is not None:
                    raise RuntimeError("forum serve stopped before answering")
                time.sleep(0.01)  # polling for the port to open, not a measured pause
    finally:
        server.terminate()
        server.wait(timeout=30)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measure_reindex(search) -> dict:
    """The full reindex on both cores beside jieba alone on one core over the same text
    (document_text: title and fields, the same dictionary, user dictionary and HMM off, the
    tokenizer initialised first), with the CPU time of each part and the load average."""
    snapshot_cpu = []
    real_snapshot = search_rebuild.write_snapshot

    def timed_snapshot(*args):
        started = time.process_time()
        real_snapshot(*args)
        snapshot_cpu.append(time.process_time() - started)

    load_before = os.getloadavg()[0]
    search_rebuild.write_snapshot = timed_snapshot
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    try:
        search.rebuild(workers=2)
    finally:
        search_rebuild.write_snapshot = real_snapshot
    reindex_s, main_cpu = time.perf_counter() - wall, time.process_time() - cpu
    workers_cpu = _children_cpu() - children
    load_between = os.getloadavg()[0]
    texts = [document_text(d) for d in search_documents()]
    tokenizer()
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        segment(text)
    jieba_s, jieba_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"reindex_s": round(reindex_s, 2), "jieba_one_core_s": round(jieba_s, 2),
            "reindex_over_jieba": round(reindex_s / jieba_s, 2),
            "jieba_one_core_cpu_s": round(jieba_cpu, 2),
            "reindex_cpu_s": {"workers_segment_and_write": round(workers_cpu, 2),
                              "main_snapshot": round(sum(snapshot_cpu), 2),
                              "main_rest": round(main_cpu - sum(snapshot_cpu), 2)},
            "load_average": [round(load_before, 2), round(load_between, 2),
                             round(os.getloadavg()[0], 2)]}


def run(cases: int, repeat: int, seed: int, home: Path, reuse_index: bool = False,
        reindex_only: bool = False) -> dict:
    open_instance(home)
    started = time.perf_counter()
    if not Case.select().exists():  # a kept home (--home) is reused as it is
        load_cases(cases, seed=seed)
    load_seconds = time.perf_counter() - started
    search = case_search()
    reindex = None if reuse_index and not reindex_only and not search.status()["missing"] \
        else measure_reindex(search)
    documents = search_documents()
    texts = folded_texts(documents)
    if reindex_only:
        return {"cases": len(documents), "characters": sum(len(t) for t in texts.values()), **reindex}

    queries = pick_queries(documents, texts, random.Random(seed))
    scan, fts = FairScan(documents, texts), Fts5Trigram(documents, texts)
    truth = [scan.search(q, f) for q, f in queries]
    engines = {
        "ours": lambda q, f: search.search(q, per_page=20, **f),
        "fair_scan": scan.search,
        "fts5_trigram": fts.search,
    }
    full = {
        "ours": lambda q, f: {h.case_id for h in search.search(q, per_page=10 ** 6, **f).hits},
        "fair_scan": scan.search,
        "fts5_trigram": fts.search,
    }
    report = {"cases": len(documents), "characters": sum(len(t) for t in texts.values()),
              "queries": len(queries), "repeat": repeat, "engines": {}}
    prefetch = time.perf_counter()
    search.warm().prefetched()  # as `forum serve` warms it at start, its files then read in the background
    report["prefetch_s"] = round(time.perf_counter() - prefetch, 2)
    for name, engine in engines.items():
        timings = measure(engine, queries, repeat)
        recall, precision = quality([full[name](q, f) for q, f in queries], truth)
        report["engines"][name] = {"p50_ms": round(statistics.median(timings), 2),
                                   "p95_ms": round(percentile(timings, 0.95), 2),
                                   "recall": round(recall, 4), "precision": round(precision, 4)}
    report["fresh_process"] = fresh_process(home, queries)
    report["fresh_process"]["serve_start_to_first_search_s"] = serve_first_search(home, queries[0][0])
    ours, scan_row, fts_row = (report["engines"][n] for n in ("ours", "fair_scan", "fts5_trigram"))
    report["scan_over_ours_p95"] = round(scan_row["p95_ms"] / ours["p95_ms"], 1)
    report["ours_over_fts5_p95"] = round(ours["p95_ms"] / max(fts_row["p95_ms"], 0.01), 1)
    if reindex is not None:
        report.update(reindex)
    report["index_mb"] = round(folder_size(home / "index") / 2 ** 20, 1)
    report["database_mb"] = round((home / "forum.db").stat().st_size / 2 ** 20, 1)
    report["case_load_s"] = round(load_seconds, 1)
    return report


def print_reindex(report: dict) -> None:
    cpu = report["reindex_cpu_s"]
    print(f"reindex {report['reindex_s']} s; jieba alone, one core {report['jieba_one_core_s']} s "
          f"(ratio {report['reindex_over_jieba']}); CPU s: jieba {report['jieba_one_core_cpu_s']}, workers {cpu['workers_segment_and_write']}, "
          f"snapshot {cpu['main_snapshot']}, rest {cpu['main_rest']}; load {report['load_average']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--home", type=Path, help="keep the demo home here (reused when it has cases)")
    parser.add_argument("--reuse-index", action="store_true",
                        help="query the home's existing index (no reindex, no jieba timing)")
    parser.add_argument("--reindex-only", action="store_true",
                        help="only the reindex beside jieba alone (no queries)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="forum-bench-"))
    try:
        report = run(args.cases, args.repeat, args.seed, home, args.reuse_index, args.reindex_only)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    if args.reindex_only:
        print(f"{report['cases']} cases, {report['characters']:,} characters")
        print_reindex(report)
        return
    print(f"{report['cases']} cases, {report['characters']:,} characters, "
          f"{report['queries']} queries × {report['repeat']}")
    print(f"{'engine':<14}{'p50 ms':>9}{'p95 ms':>9}{'recall':>9}{'precision':>11}")
    for name, row in report["engines"].items():
        print(f"{name:<14}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['recall']:>9}{row['precision']:>11}")
    if "reindex_s" in report:
        print_reindex(report)
    print(f"index {report['index_mb']} MB")
    print(f"ours vs fair scan at p95: {report['scan_over_ours_p95']}× faster; "
          f"ours / FTS5 trigram at p95: {report['ours_over_fts5_p95']}×")
    fresh = report["fresh_process"]
    print(f"fresh process: index load {fresh['index_load_s']} s, first answer "
          f"{fresh['start_to_first_answer_s']} s after start, RSS {fresh['rss_mb']} MB "
          f"(peak {fresh['peak_rss_mb']} MB); its next query after another process edits a "
          f"case: +{' / +'.join(map(str, fresh['after_another_process_edit_extra_ms']))} ms; "
          f"`forum serve` answered its first search {fresh['serve_start_to_first_search_s']} s "
          f"after start")


if __name__ == "__main__":
    main()
