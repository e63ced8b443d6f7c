"""Refined write-ups: who may write them, key figures, photos, approval, what is shown."""
from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from helpers import case_input
from kb.cases import SECTIONS, case_sections, create_case
from kb.errors import PermissionDenied, ValidationError
from kb.models import Case
from kb.search import case_search
from kb.writeups import (Figure, add_photo, approve_refined, remove_photo,
                         save_refined_writeup, writeup_state)

REFINED = {key: f"精進後的{label}：導入參與式預算。" for key, label in SECTIONS}


@pytest.fixture
def winner(edition):
    case = create_case(104, case_input())
    Case.update(status="benchmark", published=True).where(Case.id == case.id).execute()
    return Case.get_by_id(case.id)


def image_bytes(kind: str = "PNG", size=(3000, 1500)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, kind)
    return buffer.getvalue()


def test_only_published_winners_get_a_refined_write_up(edition, make_user):
    plain = create_case(104, case_input(title="未入選案例"))
    with pytest.raises(ValidationError, match="已公布的標竿案例與佳作"):
        save_refined_writeup(plain.id, REFINED, [])


def test_the_county_contact_writes_staff_approve_and_the_refined_text_is_shown(winner, make_user):
    contact = make_user("county", county="臺北市")
    with pytest.raises(PermissionDenied):
        save_refined_writeup(winner.id, REFINED, [], actor=make_user("county", county="新北市"))
    save_refined_writeup(winner.id, REFINED, [Figure("服務人次", "1,200", "3,450", "人次")],
                         actor=contact)
    assert writeup_state(winner) == "refined_pending"
    assert case_sections(winner)["background"].startswith("背景與問題")  # not approved yet
    with pytest.raises(PermissionDenied):
        approve_refined(winner.id, actor=contact)
    approve_refined(winner.id, actor=make_user("staff"))
    assert writeup_state(winner) == "refined"
    assert case_sections(Case.get_by_id(winner.id))["background"].startswith("精進後的")
    assert {h.case_id for h in case_search().search("參與式預算").hits} == {winner.id}
    save_refined_writeup(winner.id, REFINED, [], actor=contact)
    assert writeup_state(winner) == "refined_pending"  # an edit needs approval again


def test_figures_need_an_indicator(winner):
    with pytest.raises(ValidationError, match="第1列關鍵數據須填寫指標名稱"):
        save_refined_writeup(winner.id, REFINED, [Figure("", "1", "2", "件")])


def test_photos_are_checked_re_encoded_and_limited(winner, home):
    uploads = home / "uploads"
    with pytest.raises(ValidationError, match="請先儲存"):
        add_photo(winner.id, image_bytes(), "活動照片", uploads=uploads)
    save_refined_writeup(winner.id, REFINED, [])
    photo = add_photo(winner.id, image_bytes(), "社區共餐現場", uploads=uploads)
    with Image.open(uploads / photo.filename) as stored:
        assert stored.format == "JPEG" and max(stored.size) == 2000
    with pytest.raises(ValidationError, match="JPEG 或 PNG"):
        add_photo(winner.id, b"GIF89a not really", "x", uploads=uploads)
    for n in range(3):
        add_photo(winner.id, image_bytes("JPEG", (800, 600)), f"照片{n}", uploads=uploads)
    with pytest.raises(ValidationError, match="最多 4 張"):
        add_photo(winner.id, image_bytes(), "第五張", uploads=uploads)
    remove_photo(photo.id, uploads=uploads)
    assert not (uploads / photo.filename).exists()


def test_the_write_ups_overview_reads_as_many_statements_for_three_times_the_winners(
        edition, make_user):
    """The staff overview of a year's write-ups (and the anthology, the letters) reads every
    winner's versions, figures and photos in bulk: no statements per winner."""
    from kb.querylog import counted_queries
    from kb.writeups import writeup_progress

    contact = make_user("county", county="臺北市")

    def statements_with(winners: int) -> int:
        for number in range(Case.select().count(), winners):
            case = create_case(104, case_input(title=f"標竿案例第{number}號"))
            Case.update(status="benchmark", published=True).where(Case.id == case.id).execute()
            save_refined_writeup(case.id, REFINED, [Figure("服務人次", "1", "2", "人次")],
                                 actor=contact)
        with counted_queries() as statements:
            assert len(writeup_progress(104)) == winners
        return len(statements)

    three = statements_with(3)
    assert statements_with(9) == three
