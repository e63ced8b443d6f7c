"""The `forum` command group and what its commands share: the error handling, --json and --font,
opening the instance folder, progress bars, the year and stage options, output checks."""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from kb.errors import ForumError, ValidationError
from kb.instance import instance_home, open_instance


class ForumGroup(click.Group):
    """A command group that prints the errors a person can cause as one zh-TW message."""

    group_class = type  # subgroups are ForumGroups too

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ForumError as error:
            click.echo(f"錯誤：{error}" + (f"，{error.hint}" if error.hint else ""), err=True)
            ctx.exit(1)


json_option = click.option("--json", "as_json", is_flag=True, help="以 JSON 輸出")
font_option = click.option("--font", help="TrueType 中文字型路徑（預設依 FORUM_PDF_FONT 或系統常見位置）")


def print_json(data) -> None:
    """Print data as indented UTF-8 JSON."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit(data, as_json: bool, lines) -> None:
    """Print ``data`` as JSON, or else the text lines that ``lines(data)`` yields."""
    if as_json:
        print_json(data)
    else:
        for line in lines(data):
            click.echo(line)


def read_secret(from_stdin: bool) -> str:
    """A password from one line of standard input, or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("密碼", hide_input=True, confirmation_prompt="再輸入一次密碼")


@click.group(cls=ForumGroup)
@click.option("--home", type=click.Path(file_okay=False), envvar="FORUM_HOME",
              help="執行個體資料夾（資料庫、索引、上傳與產出檔案），預設 ./instance")
@click.pass_context
def main(ctx, home):
    """地方治理標竿論壇：標竿案例知識庫與評選系統。"""
    ctx.obj = instance_home(home)


def open_home(ctx) -> Path:
    """Open the instance folder ``--home`` names (database, search index); returns its path."""
    open_instance(ctx.obj)
    return ctx.obj


def uses_instance(command):
    """Open the instance folder before ``command`` runs: the decorator of every command that
    reads or writes the forum's data (with ``@click.pass_obj`` above it, it gets the path)."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        open_home(click.get_current_context())
        return command(*args, **kwargs)
    return run


def with_progress(label: str, work):
    """``work(progress)`` under a progress bar on stderr, ``progress(done, total)`` moving it."""
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:
        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)
        return work(progress)

STAGE_CHOICE = click.Choice(["screening", "onsite"])


def year_stage_options(command):
    """The required --year and --stage options (the stage arrives as ``key``)."""
    command = click.option("--stage", "key", type=STAGE_CHOICE, required=True,
                           help="screening（書面篩選）或 onsite（分區評選）")(command)
    return click.option("--year", type=int, required=True, help="年度（民國年）")(command)

def print_font_notes(font: str | None, text: str) -> None:
    """Say on stderr when the PDF's font is not embedded or lacks characters of ``text``."""
    from exports.pdf import find_cjk_font, missing_glyphs

    choice = find_cjk_font(font)
    if choice.warning:
        click.echo(f"注意：{choice.warning}", err=True)
    missing = missing_glyphs(text, choice)
    if missing:
        click.echo(f"注意：字型缺少 {len(missing)} 個字：{''.join(sorted(missing))}", err=True)


def output_suffix(output: str, allowed: tuple[str, ...]) -> str:
    """The output file's suffix, or ValidationError naming the allowed ones."""
    suffix = Path(output).suffix.lower()
    if suffix not in allowed:
        raise ValidationError(f"輸出檔「{output}」須為 {' 或 '.join(allowed)} 檔")
    return suffix

