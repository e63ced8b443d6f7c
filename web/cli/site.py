"""`forum init`, `serve`, `search`, `reindex` and `demo-data`: the instance folder, the web server,
the search index and the demo data."""
from __future__ import annotations

import sys
import threading
import time

import click

from kb.editions import latest_edition
from kb.db import database
from kb.search import case_search
from kb.rocdate import roc_year
from kb.users import ROLES
from web.cli.base import emit, json_option, main, uses_instance, with_progress
from web.workers import DEFAULT_THREADS


def _rebuild_index(workers: int = 2) -> str:
    return with_progress("重建搜尋索引",
                         lambda progress: case_search().rebuild(workers=workers, progress=progress))


def _ensure_index() -> None:
    """Rebuild the search index when it is missing, catch it up when it lags (said on stderr)."""
    status = case_search().status()
    if status["missing"]:
        click.echo("搜尋索引不存在，重新建立中…", err=True)
        _rebuild_index()
    elif status["outdated"]:
        click.echo("搜尋索引早於已清除的變更紀錄，重新建立中…", err=True)
        _rebuild_index()
    elif status["stale"]:
        click.echo(f"搜尋索引落後 {status['behind']} 件案例，補上中…", err=True)
        case_search().catch_up()


def _load_demo(*, objects: bool = True):
    from seeds.demo import load_demo

    return with_progress("載入示範資料",
                         lambda progress: load_demo(progress=progress, objects=objects))


def _prepare_demo_objects(app):
    """Write the demo's objects in a thread (returned) once the server listens (the first page
    does not wait for them); meanwhile every page says so (``FORUM_PREPARING``). A failure is
    said on stderr and on the pages; the next start tries again."""
    import threading

    from seeds.demo import demo_objects_preparing, load_demo_objects

    state = {"message": demo_objects_preparing()}

    def run():
        try:
            database.connect(reuse_if_open=True)
            load_demo_objects()
            state["message"] = None
        except Exception as error:  # noqa: BLE001 — shown; the next `forum serve --demo` retries
            state["message"] = f"示範資料準備失敗：{error}；請重新啟動 forum serve --demo"
            click.echo(state["message"], err=True)
        finally:
            database.close()

    app.config["FORUM_PREPARING"] = lambda: state["message"]
    thread = threading.Thread(target=run, name="demo-objects", daemon=True)
    thread.start()
    return thread


@main.command()
@click.option("--demo", is_flag=True, help="同時載入示範資料與示範帳號")
@click.pass_obj
@uses_instance
def init(home, demo):
    """建立執行個體資料夾與資料庫（可重複執行）。"""
    click.echo(f"執行個體：{home}")
    if demo:
        summary = _load_demo()
        click.echo(f"示範資料：{len(summary.years)} 個年度，{summary.cases} 件案例")
        _ensure_index()
    elif latest_edition() is None:
        click.echo("尚無任何年度，請以 forum edition create 年度 建立")


@main.command()
@click.option("--demo", is_flag=True, help="以示範資料與示範帳號啟動")
@click.option("--host", default="127.0.0.1", show_default=True, help="監聽位址")
@click.option("--port", default=8000, show_default=True, type=int, help="連接埠")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=int, help="每個行程處理請求的執行緒數")
@click.option("--processes", type=click.IntRange(1, 64), default=None,
              help="共用同一連接埠處理請求的行程數（預設：CPU 核心數，最多 4）")
@click.option("--listen-fd", type=int, default=None, hidden=True)  # a worker of another serve
@click.option("--counts-fd", type=int, default=None, hidden=True)  # its connection counts
@click.option("--slot", type=int, default=0, hidden=True)  # and its place in them
@click.pass_obj
@uses_instance
def serve(home, demo, host, port, threads, processes, listen_fd, counts_fd, slot):
    """以 waitress 啟動網站。"""
    import socket

    from waitress import create_server

    from web import create_app
    from web import workers as serving

    if listen_fd is not None:  # one of the processes another `forum serve` started
        serving.exit_with_parent()
    accounts, objects_pending = [], False
    if demo:
        from seeds.demo import demo_accounts, demo_objects_pending

        _load_demo(objects=False)  # the objects are written once the server listens
        accounts = demo_accounts()
        objects_pending = demo_objects_pending()
    search = case_search()
    status = search.status()
    stale = status["missing"] or status["outdated"]
    if not stale:
        search.catch_up()
        search.warm()
    app = create_app(home=home, index_coming=stale)
    if listen_fd is not None:
        worker = create_server(app, sockets=[socket.socket(fileno=listen_fd)], threads=threads,
                               ident="forum")
        serving.settle_heap()
        serving.accept_in_turn(worker, serving.ConnectionCounts(counts_fd, slot))
        worker.run()
        return
    server = create_server(app, host=host, port=port, threads=threads, ident="forum")
    listener = serving.listening_socket(server)
    more = (processes or serving.default_processes()) - 1 if listener is not None else 0
    counts = serving.ConnectionCounts.create(more + 1) if more else None
    arguments = ["--home", str(home), "serve", "--threads", str(threads)]
    started = []
    if stale:  # started once the server listens, so the first page does not wait for it
        click.echo("搜尋索引建立中（在背景進行，網站照常使用）", err=True)
        search.rebuild_in_background()
    preparing = None
    if objects_pending:
        click.echo("示範資料的精進案例、簡報、獎勵函與論壇當日資料準備中（在背景進行）", err=True)
        preparing = _prepare_demo_objects(app)
    if more and (stale or preparing):
        # The other processes start on the built index and the demo's full rows: until then this
        # process alone answers, its pages saying what is still being prepared.
        def start_when_ready():
            if preparing is not None:
                preparing.join()
            while search.building():
                time.sleep(0.5)
            started.extend(serving.start_workers(listener, more, arguments, counts))
        threading.Thread(target=start_when_ready, name="workers", daemon=True).start()
    elif more:
        started.extend(serving.start_workers(listener, more, arguments, counts))
    click.echo(f"執行個體：{home}")
    click.echo(f"網址：http://{host}:{port}/")
    click.echo(f"處理請求的行程：{more + 1} 個（每個 {threads} 個執行緒）")
    if accounts:
        click.echo("示範帳號（密碼皆為 demo1234）：")
        for account in accounts:
            county = f"・{account.county}" if account.county else ""
            click.echo(f"  {account.login:<14} {ROLES[account.role]}{county}")
    if more:
        serving.stop_on_terminate()
    serving.settle_heap()
    if more:
        serving.accept_in_turn(server, counts)
    try:
        server.run()
    finally:
        serving.stop_workers(started)


# --- search -----------------------------------------------------------------------------------

@main.command()
@click.argument("query")
@click.option("--year", type=int, help="年度（民國年）")
@click.option("--region", help="分區")
@click.option("--county", help="縣市")
@click.option("--category", help="徵求類別")
@click.option("--award", type=click.Choice(["benchmark", "honourable"]), help="獎項")
@click.option("--limit", type=int, default=20, show_default=True, help="最多列出幾件")
@click.option("--sort", type=click.Choice(["relevance", "year"]), default="relevance",
              show_default=True, help="排序")
@click.option("--public", is_flag=True, help="只看公開的案例（大眾所見）")
@json_option
@uses_instance
def search(query, year, region, county, category, award, limit, sort, public, as_json):
    """全文搜尋案例：列出包含 QUERY 每個詞的案例，依相關程度排序。

    多個詞以空白分隔表示都要出現；OR 表示任一；-詞 表示排除；以引號包住含空白的片語。
    """
    results = case_search().search(query, year=year, region=region, county=county,
                                   category=category, award=award, public=public,
                                   per_page=max(limit, 1), sort=sort)
    for note in results.notes:
        click.echo(note, err=True)
    emit(results.as_dict(), as_json, lambda data: [
        *(f"{hit['id']:>6}  {hit['year']}  {hit['county']}  {hit['title']}  ({hit['score']:.2f})"
          for hit in data["hits"]),
        f"共 {data['total']} 件"])


@main.command()
@click.option("--workers", type=int, default=2, show_default=True, help="斷詞與寫入字詞索引使用的行程數")
@uses_instance
def reindex(workers):
    """由資料庫重建搜尋索引，完成後一次切換（中途失敗時舊索引照常使用）。"""
    name = _rebuild_index(workers)
    click.echo(f"搜尋索引已重建（{name}）")


# --- demo data --------------------------------------------------------------------------------

@main.command("demo-data")
@click.option("--cases", "count", type=int, help="另外產生 N 件案例（效能測試用）")
@click.option("--year", type=int, default=104, show_default=True, help="產生案例的年度")
@click.option("--seed", type=int, default=0, show_default=True, help="亂數種子")
@uses_instance
def demo_data(count, year, seed):
    """載入示範資料；加 --cases N 則另外產生 N 件案例。"""
    if count is None:
        summary = _load_demo()
        click.echo(f"示範資料：{len(summary.years)} 個年度，{summary.cases} 件案例")
        return
    from seeds.demo import load_cases

    with click.progressbar(length=count, label="產生案例", file=sys.stderr) as bar:
        created = load_cases(count, seed=seed, year=year,
                             progress=lambda done, total: bar.update(done - bar.pos))
    click.echo(f"已產生 {created} 件案例（{roc_year(year)}）")


