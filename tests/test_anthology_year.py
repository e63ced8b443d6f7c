"""The year's anthology from the database: published winners, refined text when approved."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from kb.cases import SECTIONS
from kb.models import Case
from kb.writeups import Figure, approve_refined, save_refined_writeup


@pytest.fixture
def judged_year(db):
    from seeds.demo import load_demo

    load_demo(years=(103,), current_year=0)


def test_the_book_holds_the_published_winners_with_approved_refined_text(judged_year, home):
    from kb.anthology import anthology_for_year

    winners = list(Case.select().where(Case.published == True))  # noqa: E712
    first = winners[0]
    save_refined_writeup(first.id, {key: f"精進版{label}。" for key, label in SECTIONS},
                         [Figure("參與人次", "1,200", "3,450", "人次")])
    approve_refined(first.id)
    book = anthology_for_year(103, uploads=home / "uploads")
    assert {c.title for c in book.cases} == {c.title for c in winners}
    printed = next(c for c in book.cases if c.title == first.title)
    assert printed.sections[0][1] == "精進版背景與問題。"
    assert printed.kpis == [("參與人次", "1,200", "3,450", "人次")]
    regions = [c.region for c in book.cases]
    assert regions == sorted(regions, key=["第一區", "第二區", "第三區"].index)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_forum_anthology_writes_a_pdf_with_every_title(judged_year, forum, tmp_path):
    output = tmp_path / "book.pdf"
    result = forum("anthology", "--year", "103", "-o", str(output))
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(output), "-"], capture_output=True,
                          text=True, check=True).stdout.replace("\n", "")
    for case in Case.select().where(Case.published == True):  # noqa: E712
        assert case.title.replace(" ", "") in text.replace(" ", "")
    empty = forum("anthology", "--year", "104", "-o", str(output))
    assert empty.exit_code == 1
