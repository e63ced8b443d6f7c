"""Hot paths: pages whose work does not grow with the data (no N+1 queries, no repeated search)."""
from __future__ import annotations

from conftest import case_input, login
from kb.cases import create_case
from kb.search import CaseSearch, case_search


def test_the_staff_case_page_runs_the_similar_cases_search_once(client, make_user, monkeypatch):
    first = create_case(104, case_input(title="銀髮共餐據點擴展計畫"))
    create_case(104, case_input(title="銀髮共餐據點擴展計畫第二期", county="新北市",
                                agency="新北市政府社會局"))
    case_search().rebuild(workers=1)
    calls = []
    similar = CaseSearch.similar

    def counted(self, *args, **kwargs):
        calls.append(args)
        return similar(self, *args, **kwargs)

    monkeypatch.setattr(CaseSearch, "similar", counted)
    make_user("staff", login="staff")
    login(client, "staff")
    page = client.get(f"/cases/{first.id}").get_data(as_text=True)
    assert "銀髮共餐據點擴展計畫第二期" in page  # the similar case is still listed
    assert len(calls) == 1
